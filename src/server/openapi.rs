//! The OpenAPI document, generated from the handlers' annotations and the
//! report types.

use super::api;
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "prescreen",
        description = "Pre-screening of the uploads for the 电子商务师 (level 2) skill assessment"
    ),
    paths(api::check_multipart, api::check_slot, api::plans, api::clause, api::healthz),
    components(schemas(
        crate::report::Report,
        crate::report::FileReport,
        crate::report::Reason,
        api::ErrorBody
    ))
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
