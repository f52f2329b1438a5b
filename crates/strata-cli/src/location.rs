//! Where a command's database is: a directory, or a root on an etcd cluster.
//!
//! On the command line a cluster is `--etcd ENDPOINTS --root NAME` (the inspector), or
//! `etcd://HOST:PORT[,HOST:PORT…]/ROOT` wherever a path is expected (`strata copy`). Credentials
//! come from `STRATA_ETCD_USER` (`name:password`), never from the command line.

use std::path::PathBuf;

use strata::Either;
use strata::etcd::{EtcdConfig, EtcdDb};
use strata::rocksdb::{RocksConfig, RocksDb};

use crate::error::CliError;

/// A database opened where a [`Location`] says: RocksDB in a directory, or etcd.
pub(crate) type AnyDb = Either<RocksDb, EtcdDb>;

/// The environment variable holding etcd credentials, as `name:password`.
pub(crate) const USER_VARIABLE: &str = "STRATA_ETCD_USER";

/// Where a database is.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A RocksDB directory.
    Dir(PathBuf),
    /// A root on an etcd cluster.
    Etcd {
        /// The members' client URLs.
        endpoints: Vec<String>,
        /// The root the database lives under.
        root: String,
    },
}

impl Location {
    /// `etcd://HOST:PORT[,HOST:PORT…]/ROOT`, else a path.
    pub(crate) fn parse(text: &str) -> Result<Self, CliError> {
        let Some(rest) = text.strip_prefix("etcd://") else {
            return Ok(Self::Dir(PathBuf::from(text)));
        };
        let bad = |reason: &str| CliError::BadLocation {
            input: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (hosts, root) = rest.split_once('/').ok_or_else(|| bad("it names no /ROOT"))?;
        let endpoints = endpoint_list(hosts);
        if endpoints.is_empty() {
            return Err(bad("it names no HOST:PORT"));
        }
        Self::etcd(endpoints, root.to_owned()).map_err(|_| bad("the root is empty or holds a NUL"))
    }

    /// A root on the cluster at `endpoints`.
    pub(crate) fn etcd(endpoints: Vec<String>, root: String) -> Result<Self, CliError> {
        if root.is_empty() || root.contains('\0') {
            return Err(CliError::BadLocation {
                input: root,
                reason: "an etcd root must be non-empty and hold no NUL".to_owned(),
            });
        }
        Ok(Self::Etcd { endpoints, root })
    }

    /// The configuration of an etcd location, with the credentials of `STRATA_ETCD_USER`.
    pub(crate) fn etcd_config(endpoints: &[String], root: &str) -> Result<EtcdConfig, CliError> {
        let config = EtcdConfig::new(endpoints.to_vec(), root);
        match std::env::var(USER_VARIABLE) {
            Ok(credentials) => match credentials.split_once(':') {
                Some((name, password)) => Ok(config.user(name, password)),
                None => Err(CliError::BadLocation {
                    input: USER_VARIABLE.to_owned(),
                    reason: "it must be `name:password`".to_owned(),
                }),
            },
            Err(_) => Ok(config),
        }
    }

    /// Opens the existing database here with every column it records, read-write.
    pub(crate) fn open_existing(&self) -> Result<AnyDb, CliError> {
        match self {
            Self::Dir(path) => Ok(Either::Left(RocksDb::open_existing(&RocksConfig::new(path))?)),
            Self::Etcd { endpoints, root } => {
                Ok(Either::Right(EtcdDb::open_existing(&Self::etcd_config(endpoints, root)?)?))
            }
        }
    }
}

/// `HOST:PORT,HOST:PORT` (or full URLs) as client URLs.
pub(crate) fn endpoint_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(|host| if host.contains("://") { host.to_owned() } else { format!("http://{host}") })
        .collect()
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(path) => write!(f, "{}", path.display()),
            Self::Etcd { endpoints, root } => {
                let hosts: Vec<&str> = endpoints
                    .iter()
                    .map(|e| e.split_once("://").map_or(e.as_str(), |(_, host)| host))
                    .collect();
                write!(f, "etcd://{}/{root}", hosts.join(","))
            }
        }
    }
}
