//! A real OTLP/HTTP trace receiver for the tests: it accepts `POST /v1/traces` (protobuf, as the services'
//! exporters send it), decodes every export and keeps the spans, so a test can ask which services sent
//! spans for a trace id, and the text of every export, so a test can check a value was never exported.

use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One received span: who sent it and where it sits.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub service: String,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
}

#[derive(Debug, Default)]
struct Received {
    spans: Vec<ReceivedSpan>,
    exports: usize,
    /// Every decoded export as text (`Debug`), attributes and all: what a collector would store.
    text: String,
}

/// The running receiver; stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    endpoint: String,
    received: Arc<Mutex<Received>>,
    handle: actix_web::dev::ServerHandle,
}

impl OtlpReceiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the OTLP receiver");
        let endpoint = format!("http://{}", listener.local_addr().expect("receiver address"));
        let received = Arc::new(Mutex::new(Received::default()));
        let shared = web::Data::from(Arc::clone(&received));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .route("/v1/traces", web::post().to(export))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { endpoint, received, handle }
    }

    /// The base URL to give as `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.received.lock().expect("receiver lock").spans.clone()
    }

    /// Everything exported so far as text, for checking that a value was never exported.
    pub fn exported_text(&self) -> String {
        self.received.lock().expect("receiver lock").text.clone()
    }

    /// Waits until at least `count` spans named `name` arrived (exporters send in batches).
    pub async fn wait_for_spans(&self, name: &str, count: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.spans().iter().filter(|span| span.name == name).count();
            if seen >= count || Instant::now() > deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The services that sent spans of `trace_id`.
    pub fn services_in(&self, trace_id: &str) -> BTreeSet<String> {
        self.spans().into_iter().filter(|span| span.trace_id == trace_id).map(|span| span.service).collect()
    }

    /// Waits until spans of `trace_id` arrived from every one of `services` (exporters send in batches).
    pub async fn wait_for_services(&self, trace_id: &str, services: &[&str], timeout: Duration) -> BTreeSet<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.services_in(trace_id);
            if services.iter().all(|service| seen.contains(*service)) || Instant::now() > deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn export(received: web::Data<Mutex<Received>>, body: web::Bytes) -> HttpResponse {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return HttpResponse::BadRequest().finish();
    };
    let text = format!("{request:?}\n");
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| resource.attributes.iter())
            .find(|attribute| attribute.key == "service.name")
            .and_then(|attribute| match attribute.value.as_ref().and_then(|value| value.value.as_ref()) {
                Some(AnyValue::StringValue(name)) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
    }
    let mut received = received.lock().expect("receiver lock");
    received.exports += 1;
    received.spans.extend(spans);
    received.text.push_str(&text);
    // An empty ExportTraceServiceResponse, protobuf-encoded, is an empty body.
    HttpResponse::Ok().content_type("application/x-protobuf").finish()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
