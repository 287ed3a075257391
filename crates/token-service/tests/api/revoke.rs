//! `/token/revoke` (RFC 7009).

use crate::helpers::{assert_problem, spawn_platform};
use auth_proto::public::RevokeResponse;

#[tokio::test]
async fn a_revoked_access_token_is_refused_while_other_sessions_work() {
    let platform = spawn_platform().await;
    let first = platform.mint("u-rev").await;
    let second = platform.mint("u-rev").await;
    let response = platform.revoke(&first.access_token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<RevokeResponse>().await.unwrap(), RevokeResponse {});
    let refused = platform.status(&first.access_token).await;
    assert_eq!(refused.headers().get("www-authenticate").unwrap(), "Bearer error=\"invalid_token\"");
    assert_problem(refused, 401).await;
    assert_eq!(platform.status(&second.access_token).await.status(), 200);
}

#[tokio::test]
async fn a_revoked_refresh_token_ends_its_session() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u-rev-refresh").await;
    assert_eq!(platform.revoke(&tokens.refresh_token).await.status(), 200);
    assert_eq!(platform.status(&tokens.access_token).await.status(), 401);
    assert_problem(platform.refresh(&tokens.refresh_token).await, 401).await;
}

#[tokio::test]
async fn unknown_tokens_get_200_and_missing_ones_400() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u-bystander").await;
    for unknown in ["garbage", "a.b.c", &"x".repeat(43)] {
        assert_eq!(platform.revoke(unknown).await.status(), 200, "{unknown}");
    }
    let missing = platform
        .client
        .post(format!("{}/token/revoke", platform.token_url))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 400).await;
    assert_eq!(platform.status(&tokens.access_token).await.status(), 200, "nothing else was touched");
}
