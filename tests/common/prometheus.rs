//! A Prometheus of the test's own on a free loopback port, scraping itself every second;
//! killed when dropped. A missing binary fails the test saying how to install it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Prometheus {
    child: Child,
    pub url: String,
    data: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Started and answering, with samples of its own `up`.
    pub fn start() -> Prometheus {
        let data = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = data.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(data.path().join("log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                data.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start prometheus ({e}): install it (`apt-get install -y prometheus`; .ci/run does)"
                )
            });
        let p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            data,
        };
        p.wait_for_its_own_samples();
        p
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("log")).unwrap_or_default()
    }

    /// Waits until `up` has a sample: the server answers and has scraped itself.
    fn wait_for_its_own_samples(&self) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let got = rt.block_on(rollback::probe::prometheus::query(
                &self.url,
                "up",
                Duration::from_secs(5),
                &Default::default(),
            ));
            if matches!(&got, Ok(v) if v.as_array().is_some_and(|a| !a.is_empty())) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "prometheus did not come up with samples within 60s: last answer {got:?}\n{}",
                self.log()
            );
            std::thread::park_timeout(Duration::from_millis(100));
        }
    }
}
