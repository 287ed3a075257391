//! The last step of every login, password or single sign-on: ask the token service to open a session
//! for the account and mint its tokens. One function, so the two methods differ only in their `amr`.

use crate::error::Error;
use crate::users::User;
use auth_client::TokenClient;
use auth_proto::internal::MintRequest;
use auth_proto::public::TokenResponse;
use std::net::IpAddr;

/// Where the login came from, shown in the user's session list.
#[derive(Debug, Clone, Default)]
pub struct LoginClient {
    pub address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Opens a session for `user`, authenticated by `amr` (RFC 8176: `pwd`, `oidc`).
pub async fn open_session(
    tokens: &TokenClient,
    user: &User,
    amr: &str,
    client: LoginClient,
) -> Result<TokenResponse, Error> {
    let request = MintRequest {
        user_id: user.id.to_string(),
        username: user.username.to_string(),
        amr: vec![amr.to_owned()],
        user_agent: client.user_agent,
        ip: client.address.map(|address| address.to_string()),
    };
    Ok(tokens.mint(&request).await?)
}
