//! `POST /internal/tokens`: authn's request to open a session and mint its tokens.

use crate::helpers::{INTERNAL_TOKEN, assert_problem, spawn_platform};
use auth_proto::public::TokenResponse;
use test_support::uuid_for;

#[tokio::test]
async fn a_user_id_is_a_uuid_and_anything_else_is_400() {
    let platform = spawn_platform().await;
    let mint = |user_id: String| {
        platform
            .client
            .post(format!("{}/internal/tokens", platform.token_url))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&serde_json::json!({ "user_id": user_id, "username": "u", "amr": ["pwd"] }))
            .send()
    };
    for malformed in ["u-1", "../revocations", "a%2Fb"] {
        assert_problem(mint(malformed.to_owned()).await.unwrap(), 400).await;
    }
    let minted = mint(uuid_for("u-1")).await.unwrap();
    assert_eq!(minted.status(), 200);
    let tokens: TokenResponse = minted.json().await.unwrap();
    assert_eq!(platform.status(&tokens.access_token).await.status(), 200);
}
