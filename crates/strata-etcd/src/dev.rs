//! A local etcd cluster for development and tests: members started from the `etcd` binary on
//! free loopback ports, data in a directory of the caller's, short heartbeat and election
//! intervals so that a lost leader is replaced within a second.
//!
//! Each member runs under a small shell watchdog that kills it when the process that started
//! the cluster is gone, so a test binary that exits without dropping its cluster (a `static`)
//! leaves no server behind. Dropping a [`Cluster`] kills every member at once.
//!
//! ```no_run
//! use strata_etcd::dev::Cluster;
//!
//! let dir = tempfile::tempdir()?;
//! let cluster = Cluster::start(dir.path(), 3)?;
//! println!("endpoints: {}", cluster.endpoints().join(","));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Heartbeat interval of the members, in milliseconds.
pub const HEARTBEAT_MS: u32 = 50;
/// Election timeout of the members, in milliseconds.
pub const ELECTION_MS: u32 = 500;
/// How long [`Cluster::start`] waits for every member to accept connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a development cluster could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevError {
    /// The `etcd` binary is not installed.
    #[error(
        "the `etcd` binary was not found on PATH: install it (Debian: `apt-get install \
         etcd-server`, which `.ci/prereqs` does)"
    )]
    NotInstalled,
    /// Starting a member, or finding a free port, failed.
    #[error("starting etcd member {member} failed: {source}")]
    Io {
        /// The member.
        member: usize,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A member did not accept connections, or learn of a leader, in time.
    #[error(
        "etcd member {member} did not accept connections or learn of a leader within \
         {timeout:?}; its log ({log}) ends:\n{tail}"
    )]
    NotReady {
        /// The member.
        member: usize,
        /// How long it was given.
        timeout: Duration,
        /// Where its output went.
        log: String,
        /// The last lines of that output.
        tail: String,
    },
    /// A member's process ended while the cluster was starting (a port taken by another
    /// process, a full disk, a bad flag).
    #[error("etcd member {member} exited while starting ({status}); its log ({log}) ends:\n{tail}")]
    Exited {
        /// The member.
        member: usize,
        /// How it ended.
        status: std::process::ExitStatus,
        /// Where its output went.
        log: String,
        /// The last lines of that output.
        tail: String,
    },
}

/// How many lines of a member's log an error quotes.
const TAIL_LINES: usize = 20;

/// How many times [`Cluster::start_with`] picks new ports when a member could not take its own.
const PORT_ATTEMPTS: usize = 3;

/// The last [`TAIL_LINES`] lines of the file at `path`, or why it cannot be read.
fn tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(cannot read it: {e})"),
    }
}

/// One member's addresses and process.
#[derive(Debug)]
struct Member {
    name: String,
    client: SocketAddr,
    peer: SocketAddr,
    data: PathBuf,
    log: PathBuf,
    process: Option<Child>,
}

/// A running etcd cluster on loopback; killed on drop.
#[derive(Debug)]
pub struct Cluster {
    members: Vec<Member>,
    token: String,
    /// Flags given to every member besides the cluster's own.
    extra: Vec<String>,
}

fn free_port() -> std::io::Result<SocketAddr> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

impl Cluster {
    /// Starts a cluster of `size` members with their data under `dir` (created if missing), and
    /// waits until every member accepts client connections and knows the elected leader.
    ///
    /// # Errors
    ///
    /// [`DevError`]: `etcd` missing, a member exiting while it starts (after three
    /// tries when its port was taken), or not listening or led in time.
    pub fn start(dir: &Path, size: usize) -> Result<Self, DevError> {
        Self::start_with(dir, size, &[])
    }

    /// [`Cluster::start`] with `flags` given to every member as well: a small
    /// `--quota-backend-bytes`, say, or other `--max-txn-ops`.
    ///
    /// # Errors
    ///
    /// As [`Cluster::start`].
    pub fn start_with(dir: &Path, size: usize, flags: &[&str]) -> Result<Self, DevError> {
        if Command::new("etcd").arg("--version").output().is_err() {
            return Err(DevError::NotInstalled);
        }
        let mut attempt = 1;
        loop {
            match Self::try_start(dir, size, flags, attempt) {
                // A free port found here can be taken by another process before etcd binds
                // it; such a start is tried again on new ports, in a new directory.
                Err(DevError::Exited { tail, .. })
                    if attempt < PORT_ATTEMPTS && tail.contains("address already in use") =>
                {
                    attempt += 1;
                }
                started => return started,
            }
        }
    }

    fn try_start(
        dir: &Path,
        size: usize,
        flags: &[&str],
        attempt: usize,
    ) -> Result<Self, DevError> {
        let dir =
            if attempt == 1 { dir.to_owned() } else { dir.join(format!("attempt-{attempt}")) };
        std::fs::create_dir_all(&dir).map_err(|source| DevError::Io { member: 0, source })?;
        let mut members = Vec::with_capacity(size);
        for member in 0..size {
            let io = |source| DevError::Io { member, source };
            members.push(Member {
                name: format!("m{member}"),
                client: free_port().map_err(io)?,
                peer: free_port().map_err(io)?,
                data: dir.join(format!("m{member}")),
                log: dir.join(format!("m{member}.log")),
                process: None,
            });
        }
        // Unique per cluster, so that members of two clusters never join each other.
        let token = format!("strata-dev-{}-{}", std::process::id(), members[0].client.port());
        let extra = flags.iter().map(|flag| (*flag).to_owned()).collect();
        let mut cluster = Self { members, token, extra };
        for member in 0..size {
            cluster.spawn(member, "new")?;
        }
        for member in 0..size {
            cluster.wait_listening(member)?;
        }
        cluster.wait_for_leader()?;
        Ok(cluster)
    }

    /// Waits until every running member knows the cluster's leader.
    fn wait_for_leader(&self) -> Result<(), DevError> {
        let io = |source| DevError::Io { member: 0, source };
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(io)?;
        let started = Instant::now();
        for (member, m) in self.members.iter().enumerate() {
            if m.process.is_none() {
                continue;
            }
            let endpoint = format!("http://{}", m.client);
            let led = runtime.block_on(async {
                while started.elapsed() < START_TIMEOUT {
                    if let Ok(mut client) = etcd_client::Client::connect([&endpoint], None).await
                        && let Ok(status) = client.status().await
                        && status.leader() != 0
                    {
                        return true;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                false
            });
            if !led {
                return Err(self.not_ready(member));
            }
        }
        Ok(())
    }

    /// The client URLs of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("http://{}", m.client)).collect()
    }

    /// The client URL of member `member`.
    pub fn endpoint(&self, member: usize) -> String {
        format!("http://{}", self.members[member].client)
    }

    /// How many members the cluster has.
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// Kills member `member` with `SIGKILL` (its data stays for [`Cluster::restart`]).
    pub fn kill(&mut self, member: usize) {
        if let Some(mut child) = self.members[member].process.take() {
            // The watchdog shell leads its own process group, with etcd in it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts member `member` again on its data, and waits until it accepts connections.
    ///
    /// # Errors
    ///
    /// As [`Cluster::start`].
    pub fn restart(&mut self, member: usize) -> Result<(), DevError> {
        self.kill(member);
        self.spawn(member, "existing")?;
        self.wait_listening(member)
    }

    /// Waits until every running member knows a leader (after restarts, say), or the start
    /// timeout passes.
    ///
    /// # Errors
    ///
    /// [`DevError::NotReady`] when a member has no leader in time (no quorum).
    pub fn wait_until_led(&self) -> Result<(), DevError> {
        self.wait_for_leader()
    }

    /// Whether member `member` is running.
    pub fn is_running(&self, member: usize) -> bool {
        self.members[member].process.is_some()
    }

    fn spawn(&mut self, member: usize, state: &str) -> Result<(), DevError> {
        let initial: Vec<String> =
            self.members.iter().map(|m| format!("{}=http://{}", m.name, m.peer)).collect();
        let m = &self.members[member];
        let io = |source| DevError::Io { member, source };
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&m.log).map_err(io)?;
        let args = [
            format!("--name={}", m.name),
            format!("--data-dir={}", m.data.display()),
            format!("--listen-client-urls=http://{}", m.client),
            format!("--advertise-client-urls=http://{}", m.client),
            format!("--listen-peer-urls=http://{}", m.peer),
            format!("--initial-advertise-peer-urls=http://{}", m.peer),
            format!("--initial-cluster={}", initial.join(",")),
            format!("--initial-cluster-state={state}"),
            format!("--initial-cluster-token={}", self.token),
            format!("--heartbeat-interval={HEARTBEAT_MS}"),
            format!("--election-timeout={ELECTION_MS}"),
            "--log-level=warn".to_owned(),
        ];
        let args = args.iter().chain(&self.extra);
        // The watchdog: runs etcd, and kills it when the process that started the cluster is
        // gone (checked twice a second) or etcd stops by itself.
        let script = "etcd \"$@\" & e=$!; while kill -0 \"$WATCH\" 2>/dev/null && kill -0 $e 2>/dev/null; do sleep 0.5; done; kill -9 $e 2>/dev/null; wait $e";
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(args)
            .env("WATCH", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io)?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(io)?;
        self.members[member].process = Some(child);
        Ok(())
    }

    /// Waits until member `member` accepts client connections; a member whose process ends
    /// meanwhile is reported at once, with its log.
    fn wait_listening(&mut self, member: usize) -> Result<(), DevError> {
        let started = Instant::now();
        let address = self.members[member].client;
        while started.elapsed() < START_TIMEOUT {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            let m = &mut self.members[member];
            if let Some(child) = m.process.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                m.process = None;
                let log = m.log.display().to_string();
                return Err(DevError::Exited { member, status, tail: tail(&m.log), log });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(self.not_ready(member))
    }

    fn not_ready(&self, member: usize) -> DevError {
        let log = &self.members[member].log;
        DevError::NotReady {
            member,
            timeout: START_TIMEOUT,
            log: log.display().to_string(),
            tail: tail(log),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for member in 0..self.members.len() {
            self.kill(member);
        }
    }
}
