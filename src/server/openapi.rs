//! The OpenAPI document, generated from the handlers' annotations and the
//! report types.

use super::api;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "prescreen",
        description = "Pre-screening of the uploads for the 电子商务师 (level 2) skill assessment"
    ),
    paths(
        api::check_multipart,
        api::check_slot,
        api::eligibility,
        api::fix_slot,
        api::plans,
        api::clause,
        api::reload,
        api::healthz
    ),
    components(schemas(
        crate::report::Report,
        crate::report::FileReport,
        crate::report::Reason,
        api::ErrorBody,
        crate::eligibility::Declared,
        crate::eligibility::declared::Education,
        crate::eligibility::declared::Certificate,
        crate::eligibility::declared::Training,
        crate::eligibility::declared::Work,
        crate::eligibility::declared::Employer,
        crate::rules::EducationLevel,
        crate::rules::CertificateKind,
        crate::eligibility::Eligibility,
        crate::eligibility::ClauseResult,
        crate::eligibility::RouteResult,
        crate::eligibility::ConditionResult
    )),
    modifiers(&BearerKey)
)]
pub struct ApiDoc;

/// The optional API key (`serve --api-key`) as a bearer security scheme,
/// required on every `/v1/*` operation when the server is started with one.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The key given to `prescreen serve --api-key`; only when the server has one",
                    ))
                    .build(),
            ),
        );
        let requirement = [
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::default(),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                op.security = Some(requirement.to_vec());
            }
        }
    }
}

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
