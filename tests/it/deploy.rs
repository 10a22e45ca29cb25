//! The deployment recipe in `deploy/` cannot be run here (no Docker, no
//! cluster), so it is checked: the manifests parse, the fields that matter
//! are there and agree with each other, and every flag and environment
//! variable they use is one the binary knows.

use std::path::Path;
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn docs(rel: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn of_kind<'a>(docs: &'a [Yaml], kind: &str, name: &str) -> &'a Yaml {
    docs.iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn help(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_prescreen"))
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_serve_manifests_fit_the_binary() {
    let d = docs("deploy/k8s/serve.yaml");
    let dep = of_kind(&d, "Deployment", "prescreen");
    let pod = &dep["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let c = &pod["containers"][0];
    assert_eq!(c["args"][0].as_str(), Some("serve"));
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(c[probe]["httpGet"]["path"].as_str(), Some("/healthz"), "{probe}");
    }
    let serve_help = help(&["serve", "--help"]);
    let env = c["env"].as_vec().unwrap();
    let value = |name: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(name))
            .map(|e| &e["value"])
    };
    for e in env {
        let name = e["name"].as_str().unwrap();
        assert!(
            serve_help.contains(&format!("env: {name}")),
            "serve does not read {name}"
        );
    }
    assert_eq!(value("PRESCREEN_BIND").and_then(Yaml::as_str), Some("0.0.0.0:8080"));
    // Workers follow the CPU request.
    let cpu: u32 = c["resources"]["requests"]["cpu"].as_str().unwrap().parse().unwrap();
    let workers: u32 = value("PRESCREEN_WORKERS")
        .and_then(Yaml::as_str)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(workers, cpu);
    let svc = of_kind(&d, "Service", "prescreen");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"].as_str(), Some("http"));
    assert_eq!(c["ports"][0]["name"].as_str(), Some("http"));
    let hpa = of_kind(&d, "HorizontalPodAutoscaler", "prescreen");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"].as_str(), Some("prescreen"));
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"].as_str(), Some("Deployment"));
}

#[test]
fn the_batch_job_shards_agree_and_use_real_flags() {
    let d = docs("deploy/k8s/batch.yaml");
    let job = of_kind(&d, "Job", "prescreen-batch");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let n = spec["completions"].as_i64().unwrap();
    assert_eq!(spec["parallelism"].as_i64(), Some(n));
    let script = spec["template"]["spec"]["containers"][0]["args"][0].as_str().unwrap();
    assert!(
        script.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")),
        "{script}"
    );
    assert!(
        script.contains("shard-$JOB_COMPLETION_INDEX.jsonl"),
        "one results file per shard: {script}"
    );
    assert!(
        script.contains("--resume"),
        "a restarted pod continues its shard: {script}"
    );
    let batch_help = help(&["batch", "--help"]);
    for flag in script.split_whitespace().filter(|w| w.starts_with("--")) {
        assert!(batch_help.contains(flag), "batch has no {flag}");
    }
    let report = of_kind(&d, "Job", "prescreen-report");
    let script = report["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    assert!(
        script.contains("prescreen report /data/results/shard-*.jsonl"),
        "{script}"
    );
    let report_help = help(&["report", "--help"]);
    for flag in script.split_whitespace().filter(|w| w.starts_with("--")) {
        assert!(report_help.contains(flag), "report has no {flag}");
    }
}

#[test]
fn the_dockerfile_builds_the_binary_and_runs_it_unprivileged() {
    let f = read("deploy/Dockerfile");
    assert!(f.contains("cargo build --release --locked --features heic --bin prescreen"));
    // The codecs libheif links against, at run time too.
    assert!(f.contains("libde265-0") && f.contains("libde265-dev"));
    assert!(f.contains("USER 10001"));
    assert!(f.contains("ENTRYPOINT [\"/usr/local/bin/prescreen\"]"));
    // Every path Cargo.toml names must be copied in, or the build fails.
    for dir in ["src", "benches", "examples", "tests", "fixtures"] {
        assert!(f.contains(&format!("COPY {dir} ./{dir}")), "{dir} not copied");
    }
}
