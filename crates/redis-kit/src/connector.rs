//! How the pool opens a connection for each topology: a standalone server directly; with Sentinel, the
//! master the Sentinels name at that moment (so a replaced connection follows a failover); a Cluster
//! through its seed nodes. Also the bb8 manager built on it, which drops a connection once a command
//! found it broken, and every connection of an older generation after a failover was noticed.

use crate::RedisTimeouts;
use crate::config::{RedisConfig, Topology};
use crate::connection::RedisConnection;
use bb8::ManageConnection;
use redis::cluster::ClusterClient;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError, RedisResult, TlsMode};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What `/readyz` reports about the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopologyReport {
    Standalone,
    /// With the master's `host:port` the last connection was opened to (`None` before the first).
    Sentinel {
        master: Option<String>,
    },
    Cluster,
}

impl fmt::Display for TopologyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopologyReport::Standalone => f.write_str("standalone"),
            TopologyReport::Sentinel { master: Some(master) } => write!(f, "sentinel, master {master}"),
            TopologyReport::Sentinel { master: None } => f.write_str("sentinel, master not yet resolved"),
            TopologyReport::Cluster => f.write_str("cluster"),
        }
    }
}

enum Connector {
    Server(Client),
    Sentinel {
        /// The Sentinel client keeps its connections to the Sentinels between look-ups; a look-up
        /// needs it mutably.
        client: tokio::sync::Mutex<SentinelClient>,
        /// `host:port` of the master last connected to.
        master: Mutex<Option<String>>,
    },
    Cluster(ClusterClient),
}

/// Opens connections to the configured topology, bounded by the pool's timeouts.
pub(crate) struct TopologyConnector {
    connector: Connector,
    timeouts: RedisTimeouts,
}

impl fmt::Debug for TopologyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopologyConnector").field("topology", &self.report()).finish_non_exhaustive()
    }
}

impl TopologyConnector {
    /// Checks the configuration against the redis crate without connecting.
    pub(crate) fn new(config: &RedisConfig, timeouts: RedisTimeouts) -> RedisResult<Self> {
        let nodes = config.nodes();
        let connector = match config.topology() {
            Topology::Standalone => {
                let info = nodes.first().map(crate::RedisUrl::info).ok_or_else(no_nodes)?;
                let client = match config.tls_certificates() {
                    Some(certificates) => Client::build_with_tls(info, certificates)?,
                    None => Client::open(info)?,
                };
                Connector::Server(client)
            }
            Topology::Sentinel { master_name } => {
                let first = nodes.first().map(crate::RedisUrl::info).ok_or_else(no_nodes)?;
                let addresses = nodes.iter().map(|node| node.info().addr().clone());
                let master = first.redis_settings();
                let mut builder = SentinelClientBuilder::new(addresses, master_name, SentinelServerType::Master)?
                    .set_client_to_redis_db(master.db());
                if let Some(username) = master.username() {
                    builder = builder.set_client_to_redis_username(username);
                }
                if let Some(password) = master.password() {
                    builder = builder.set_client_to_redis_password(password);
                }
                if config.is_tls() {
                    builder = builder
                        .set_client_to_redis_tls_mode(TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
                    if let Some(certificates) = config.tls_certificates() {
                        builder = builder
                            .set_client_to_redis_certificates(certificates.clone())
                            .set_client_to_sentinel_certificates(certificates);
                    }
                }
                Connector::Sentinel { client: tokio::sync::Mutex::new(builder.build()?), master: Mutex::new(None) }
            }
            Topology::Cluster => {
                let mut builder = ClusterClient::builder(nodes.iter().map(crate::RedisUrl::info))
                    .connection_timeout(timeouts.connect)
                    .response_timeout(timeouts.command)
                    // Few retries (after MOVED, or a node that just failed over) so that a request
                    // stays within the pool's command timeout; the next request tries again.
                    .retries(2);
                if let Some(certificates) = config.tls_certificates() {
                    builder = builder.certs(certificates);
                }
                Connector::Cluster(builder.build()?)
            }
        };
        Ok(Self { connector, timeouts })
    }

    pub(crate) fn report(&self) -> TopologyReport {
        match &self.connector {
            Connector::Server(_) => TopologyReport::Standalone,
            Connector::Sentinel { master, .. } => {
                TopologyReport::Sentinel { master: master.lock().unwrap_or_else(PoisonError::into_inner).clone() }
            }
            Connector::Cluster(_) => TopologyReport::Cluster,
        }
    }

    fn connection_config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeouts.connect))
            // The pool bounds every command itself (and replaces the connection when it expires).
            .set_response_timeout(None)
    }

    /// A new connection; with Sentinel, to the master the Sentinels name now (the redis crate checks
    /// with `ROLE` that it is a master, so a demoted one is never picked).
    pub(crate) async fn connect(&self) -> RedisResult<RedisConnection> {
        let ack = self.timeouts.replica_ack;
        let connecting = async {
            match &self.connector {
                Connector::Server(client) => {
                    let connection =
                        client.get_multiplexed_async_connection_with_config(&self.connection_config()).await?;
                    Ok(RedisConnection::server(connection, ack))
                }
                Connector::Sentinel { client, master } => {
                    let master_client = client.lock().await.async_get_client().await?;
                    let address = master_client.get_connection_info().addr().to_string();
                    let connection =
                        master_client.get_multiplexed_async_connection_with_config(&self.connection_config()).await?;
                    let mut known = master.lock().unwrap_or_else(PoisonError::into_inner);
                    if known.as_deref() != Some(address.as_str()) {
                        tracing::info!(master = %address, "redis sentinel: connected to the master");
                        *known = Some(address);
                    }
                    Ok(RedisConnection::server(connection, ack))
                }
                Connector::Cluster(client) => {
                    let connection = client.get_async_connection().await?;
                    Ok(RedisConnection::cluster(connection, ack))
                }
            }
        };
        tokio::time::timeout(self.timeouts.connect, connecting)
            .await
            .unwrap_or_else(|_| Err(RedisError::from((ErrorKind::Io, "connecting to redis timed out"))))
    }
}

fn no_nodes() -> RedisError {
    RedisError::from((ErrorKind::InvalidClientConfig, "REDIS_URL lists no node"))
}

/// A pooled connection, the generation it was opened in, and a flag set when a command on it failed at
/// the connection level; the flag is shared with the handles lent out, which outlive the checkout.
#[derive(Debug)]
pub(crate) struct TrackedConnection {
    pub(crate) connection: RedisConnection,
    pub(crate) broken: Arc<AtomicBool>,
    generation: u64,
}

/// The bb8 manager: connects through a [`TopologyConnector`]; never pings on checkout. Cheap to clone:
/// the pool holds one clone and [`crate::RedisPool`] another, to retire connections and report.
#[derive(Debug, Clone)]
pub(crate) struct TrackingManager(Arc<ManagerState>);

#[derive(Debug)]
struct ManagerState {
    connector: TopologyConnector,
    /// Raised when a command met a demoted or vanished master: every connection opened before is then
    /// replaced, not only the one that noticed, so that none keeps reading from the old master.
    generation: AtomicU64,
}

impl TrackingManager {
    pub(crate) fn new(connector: TopologyConnector) -> Self {
        Self(Arc::new(ManagerState { connector, generation: AtomicU64::new(0) }))
    }

    pub(crate) fn report(&self) -> TopologyReport {
        self.0.connector.report()
    }

    pub(crate) fn is_usable(&self, connection: &TrackedConnection) -> bool {
        !connection.broken.load(Ordering::Acquire) && connection.generation == self.0.generation.load(Ordering::Acquire)
    }

    /// Retires every connection open now (each is replaced when next checked out).
    pub(crate) fn retire_all(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl ManageConnection for TrackingManager {
    type Connection = TrackedConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let generation = self.0.generation.load(Ordering::Acquire);
        let connection = self.0.connector.connect().await?;
        Ok(TrackedConnection { connection, broken: Arc::new(AtomicBool::new(false)), generation })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        redis::cmd("PING").query_async::<String>(&mut conn.connection).await.map(drop)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        !self.is_usable(conn)
    }
}
