//! The authn service's API tests: the app in-process against a real Redis per test.

mod admin_cli;
mod health;
mod helpers;
mod lockout;
mod login;
mod outage;
mod rate_limit;
mod register;
mod stores;
