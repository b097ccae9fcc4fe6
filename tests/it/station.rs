//! The verification station (`chartmill serve`): every route for every role
//! in-process (axum's router, a real SQLite copy of the fixture batch), and a
//! technician resolving a real chart in a real headless Chromium, driven
//! over WebDriver, against the real binary.

use super::{fixture_run, fixtures, read_jsonl};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chartmill::station::{auth, Config, Station};
use chartmill::store::{Role, Store};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tower::ServiceExt;

const CHART: &str = "box-01/0014-beltran-derek";

/// A private copy of the fixture batch's database with three users.
struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn db_with_users() -> Db {
    let run = fixture_run();
    assert!(run.output.status.success() || run.output.status.code() == Some(1), "fixture run failed");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let src = rusqlite::Connection::open(&run.db).unwrap();
    src.execute("VACUUM INTO ?1", [path.to_str().unwrap()]).unwrap();
    drop(src);
    let store = Store::open(&path).unwrap();
    for (name, role) in [("tina", Role::Technician), ("vic", Role::Viewer), ("ada", Role::Admin)] {
        let hash = auth::hash_password(&format!("{name}-password-1")).unwrap();
        assert!(store.add_user(name, role, &hash, "test").unwrap());
    }
    Db { _dir: dir, path }
}

fn config(db: &Path, idle: Duration) -> Config {
    Config {
        db: db.to_path_buf(),
        bind: "127.0.0.1:0".parse().unwrap(),
        pipeline: chartmill::pipeline::Pipeline::default_pipeline(),
        archive: Some(fixtures().join("archive")),
        idle,
        tls: None,
    }
}

/// The router of a station over `db`, and a runtime to drive it.
struct App {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl App {
    fn new(db: &Path, idle: Duration) -> App {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        App { rt, router: chartmill::station::router(Station::new(&config(db, idle))) }
    }

    fn send(&self, req: Request<Body>) -> Reply {
        let router = self.router.clone();
        self.rt.block_on(async move {
            let res = router.oneshot(req).await.unwrap();
            let h = |k: header::HeaderName| res.headers().get(k).map(|v| v.to_str().unwrap().to_string());
            let (status, location, cookie, content_type) =
                (res.status(), h(header::LOCATION), h(header::SET_COOKIE), h(header::CONTENT_TYPE));
            let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
            Reply { status, location, cookie, content_type, body }
        })
    }

    fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap())
    }

    fn post(&self, uri: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap())
    }

    /// Log in; the session cookie and the CSRF token of its pages.
    fn login(&self, name: &str) -> (String, String) {
        let r = self.post("/login", None, &[("name", name), ("password", &format!("{name}-password-1"))]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login of {name}: {}", r.text());
        let set = r.cookie.expect("a session cookie");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        let cookie = set.split(';').next().unwrap().to_string();
        let page = self.get("/", Some(&cookie)).text();
        (cookie, hidden(&page, "csrf"))
    }
}

/// The value of the first hidden input `name` of a page.
fn hidden(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} on the page"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn chart_uri() -> String {
    format!("/chart?id={}", form_urlencoded::byte_serialize(CHART.as_bytes()).collect::<String>())
}

fn audit_actions(db: &Path, chart: Option<&str>) -> Vec<(String, String, Option<String>)> {
    Store::open(db).unwrap().audit_log(chart).unwrap().into_iter().map(|a| (a.operator, a.action, a.reason)).collect()
}

#[test]
fn every_route_answers_each_role_as_it_may() {
    let db = db_with_users();
    let app = App::new(&db.path, Duration::from_secs(900));

    // Nobody logged in: every page sends the browser to the login page.
    for uri in ["/", "/next", &chart_uri(), "/users", "/audit", "/page?id=x&n=1"] {
        let r = app.get(uri, None);
        assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login")), "{uri}");
    }
    let r = app.get("/login", None);
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("name=\"password\""));
    let wrong = app.post("/login", None, &[("name", "tina"), ("password", "not her password")]);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookie.is_none());

    let (tech, tech_csrf) = app.login("tina");
    let (viewer, viewer_csrf) = app.login("vic");
    let (admin, _) = app.login("ada");

    // The queue, a chart, its page image and a zoom: every role reads.
    for cookie in [&tech, &viewer, &admin] {
        let q = app.get("/", Some(cookie));
        assert_eq!(q.status, StatusCode::OK);
        assert!(q.text().contains(CHART), "the queue lists the chart");
        let c = app.get(&chart_uri(), Some(cookie));
        assert_eq!(c.status, StatusCode::OK);
        assert!(c.text().contains("immunizations[0].lot"));
        assert_eq!(app.get(&format!("/page?id={}&n=6", CHART), Some(cookie)).content_type.as_deref(), Some("image/png"));
    }
    let zoom = app.get(&format!("{}&field=immunizations%5B0%5D.lot", chart_uri().replace("/chart", "/zoom")), Some(&tech));
    assert_eq!(zoom.status, StatusCode::OK, "{}", zoom.text());
    assert!(zoom.body.starts_with(b"\x89PNG"));
    let filtered = app.get("/?flag=duplicate_patient", Some(&tech)).text();
    assert!(!filtered.contains(CHART) && filtered.contains("0024-escobar-michael"), "filter by flag code");
    assert!(app.get("/?doc=nonexistent", Some(&tech)).text().contains("No chart matches"));

    // Views are audited: the chart, the page image, the zoom, by whom.
    let views: Vec<_> = audit_actions(&db.path, Some(CHART)).into_iter().filter(|(_, a, _)| a == "viewed").collect();
    assert!(views.iter().any(|(op, _, r)| op == "vic" && r.as_deref() == Some("values shown in the web station")));
    assert!(views.iter().any(|(op, _, r)| op == "ada" && r.as_deref() == Some("page 6 image shown in the web station")));
    assert!(views.iter().any(|(op, _, r)| op == "tina" && r.as_deref() == Some("field zoom shown in the web station")));

    // Users and the audit: the admin only.
    for (cookie, status) in [(&tech, StatusCode::FORBIDDEN), (&viewer, StatusCode::FORBIDDEN), (&admin, StatusCode::OK)] {
        assert_eq!(app.get("/users", Some(cookie)).status, status);
        assert_eq!(app.get("/audit?kind=views", Some(cookie)).status, status);
    }

    let page = app.get(&chart_uri(), Some(&tech)).text();
    let revision = hidden(&page, "revision");
    let confirm = |csrf: &str, rev: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("id", CHART.to_string()),
            ("revision", rev.to_string()),
            ("op", "save".to_string()),
            ("field", "immunizations[3].lot".to_string()),
            ("value", "ZL1787".to_string()),
            ("original", "ZL1787".to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |cookie: &str, form: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.post("/act", Some(cookie), &pairs)
    };

    // A viewer's change is refused, with their own valid token.
    let r = post(&viewer, as_refs(&confirm(&viewer_csrf, &revision)));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A change without the session's CSRF token is refused.
    let r = post(&tech, as_refs(&confirm("", &revision)));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("CSRF"));
    let r = post(&tech, as_refs(&confirm(&viewer_csrf, &revision)));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another session's token is not this one's");
    let state = Store::open(&db.path).unwrap().review_state(CHART).unwrap().unwrap();
    assert!(state.values.iter().all(|v| v.verified.is_none()), "nothing was changed");

    // The technician's confirmation: one transaction, the value verified.
    let r = post(&tech, as_refs(&confirm(&tech_csrf, &revision)));
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let done = app.get(r.location.as_deref().unwrap(), Some(&tech)).text();
    assert!(done.contains("immunizations[3].lot confirmed as read"), "the outcome is shown");
    let state = Store::open(&db.path).unwrap().review_state(CHART).unwrap().unwrap();
    let lot = state.values.iter().find(|v| v.value.path == "immunizations[3].lot").unwrap();
    assert_eq!(lot.verified.as_ref().map(|v| v.by.as_str()), Some("tina"));

    // The same form again, with the revision it was made on: stale, refused, shown.
    let r = post(&tech, as_refs(&confirm(&tech_csrf, &revision)));
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("changed since you saw it"), "{}", r.text());

    // A correction that fails its type is refused with the reason, the typed text kept.
    let mut bad = confirm(&tech_csrf, &hidden(&done, "revision"));
    bad[4].1 = "patient.dob".into();
    bad[5].1 = "31/31/1942".into();
    bad[6].1 = "1942-05-24".into();
    let r = post(&tech, bad);
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("31/31/1942") && r.text().contains("refused"), "{}", r.text());

    // The admin adds a user; a technician cannot.
    let (admin, admin_csrf) = app.login("ada");
    let add = [("csrf", admin_csrf.as_str()), ("op", "add"), ("name", "nora"), ("role", "viewer"), ("password", "nora-password-1")];
    let r = app.post("/users", Some(&admin), &add);
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("user nora added as viewer"));
    let r = app.post("/users", Some(&tech), &[("csrf", tech_csrf.as_str()), add[1], ("name", "mal"), add[3], add[4]]);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(Store::open(&db.path).unwrap().user("nora").unwrap().map(|u| u.role), Some(Role::Viewer));

    // An admin changes no record either; `next` opens the oldest chart nobody holds.
    let (admin, admin_csrf) = app.login("ada");
    let mut as_admin = confirm(&admin_csrf, &hidden(&app.get(&chart_uri(), Some(&admin)).text(), "revision"));
    as_admin[3].1 = "read_again".into();
    as_admin.push(("page", "6".into()));
    assert_eq!(post(&admin, as_admin).status, StatusCode::FORBIDDEN);
    let oldest = Store::open(&db.path).unwrap().review_queue(None).unwrap()[0].chart_id.clone();
    let next = app.get("/next", Some(&tech));
    assert_eq!(next.location.as_deref(), Some(format!("/chart?id={}", form_urlencoded::byte_serialize(oldest.as_bytes()).collect::<String>()).as_str()));

    // Logging out ends the session.
    let r = app.post("/logout", Some(&tech), &[("csrf", tech_csrf.as_str())]);
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(app.get("/", Some(&tech)).location.as_deref(), Some("/login"));
    let access: Vec<String> = audit_actions(&db.path, None).into_iter().map(|(_, a, _)| a).collect();
    for a in ["login", "login_failed", "logout", "user_added"] {
        assert!(access.iter().any(|x| x == a), "{a} audited");
    }
}

#[test]
fn an_idle_session_is_sent_to_login_and_failed_logins_are_limited() {
    let db = db_with_users();
    let app = App::new(&db.path, Duration::from_millis(300));
    let (cookie, _) = app.login("vic");
    assert_eq!(app.get("/", Some(&cookie)).status, StatusCode::OK);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(app.get("/", Some(&cookie)).location.as_deref(), Some("/login"), "an idle session has ended");
    assert!(audit_actions(&db.path, None).iter().any(|(op, a, _)| op == "vic" && a == "session_expired"));
    let forged = app.get("/", Some("chartmill_session=0000"));
    assert_eq!(forged.location.as_deref(), Some("/login"));

    for _ in 0..auth::MAX_FAILURES {
        let r = app.post("/login", None, &[("name", "tina"), ("password", "guess-guess-guess")]);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Locked now, even with the right password.
    let r = app.post("/login", None, &[("name", "tina"), ("password", "tina-password-1")]);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.cookie.is_none());
    let audit = audit_actions(&db.path, None);
    assert_eq!(audit.iter().filter(|(op, a, _)| op == "tina" && a == "login_failed").count(), auth::MAX_FAILURES as usize);
    assert!(audit.iter().any(|(op, a, _)| op == "tina" && a == "login_locked"));
    // Another name is not locked.
    let r = app.post("/login", None, &[("name", "ada"), ("password", "ada-password-1")]);
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[test]
fn the_station_refuses_to_serve_beyond_loopback_without_tls() {
    let db = db_with_users();
    let mut c = config(&db.path, Duration::from_secs(60));
    c.bind = "0.0.0.0:8080".parse().unwrap();
    let e = chartmill::station::check(&c).unwrap_err().to_string();
    assert!(e.contains("not a loopback address") && e.contains("--tls-cert"), "{e}");
    let out = super::bin().args(["serve", "--bind", "0.0.0.0:0", "--db"]).arg(&db.path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs TLS"));
}

// ---- in a real browser ------------------------------------------------------

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listens on port {port}");
}

const ENTER: &str = "\u{E007}";

async fn wait_for_revision_above(client: &fantoccini::Client, seen: i64) -> i64 {
    use fantoccini::Locator;
    for _ in 0..200 {
        if let Ok(e) = client.find(Locator::Css("form.value input[name=revision], #approve input[name=revision]")).await {
            if let Ok(Some(v)) = e.attr("value").await {
                if let Ok(n) = v.parse::<i64>() {
                    if n > seen {
                        return n;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the chart's revision did not move past {seen}: {}", client.source().await.unwrap_or_default());
}

/// The field of the value box that has the focus ("" when none has).
async fn active_field(client: &fantoccini::Client) -> String {
    let v = client
        .execute("var e = document.activeElement; return e && e.form && e.form.classList.contains('value') ? e.form.dataset.field : ''", vec![])
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn a_technician_resolves_a_chart_in_a_real_browser() {
    use fantoccini::Locator;
    let chromedriver = Path::new("/usr/bin/chromedriver");
    assert!(
        chromedriver.exists() && Path::new("/usr/bin/chromium").exists(),
        "the browser tests need Debian's chromium and chromium-driver: bash scripts/setup.sh installs them"
    );
    let db = db_with_users();
    let port = free_port();
    let _serve = Child(
        super::bin()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
            .arg(&db.path)
            .arg("--archive")
            .arg(fixtures().join("archive"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_port = free_port();
    let _driver = Child(
        std::process::Command::new(chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    wait_for_port(driver_port);
    let profile = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let screenshot = std::env::var_os("CHARTMILL_SCREENSHOT").map(PathBuf::from);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let keys: Vec<(String, usize)> = rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--disable-quic", "--window-size=1600,1000",
                         format!("--user-data-dir={}", profile.path().display())]
            }),
        );
        let client = fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("chromedriver starts a headless Chromium");
        let mut keys = Vec::new();

        // Log in.
        client.goto(&format!("{base}/login")).await.unwrap();
        client.find(Locator::Css("input[name=name]")).await.unwrap().send_keys("tina").await.unwrap();
        let pw = client.find(Locator::Css("input[name=password]")).await.unwrap();
        pw.send_keys(&format!("tina-password-1{ENTER}")).await.unwrap();
        client.wait().for_element(Locator::Css("table.queue")).await.unwrap();

        // The chart, from the queue (the order of the queue is the order
        // the batch's workers finished in).
        client.find(Locator::LinkText(CHART)).await.unwrap().click().await.unwrap();
        client.wait().for_element(Locator::Css("form.value.flagged")).await.unwrap();
        if let Some(path) = &screenshot {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            std::fs::write(path, client.screenshot().await.unwrap()).unwrap();
        }
        let mut revision = 0;

        // Page 6 read again from the page's own form: its flags stand as
        // they were (the same reads), and nothing is lost.
        let reread = client.find(Locator::Css("figure.page:nth-of-type(6) form.reread button")).await.unwrap();
        reread.click().await.unwrap();
        revision = wait_for_revision_above(&client, revision).await;
        let said = client.find(Locator::Css("pre.done")).await.unwrap().text().await.unwrap();
        assert!(said.contains("page 6 read again (as it is, read at 0°): immunization_record → immunization_record"), "{said}");
        assert!(said.contains("immunizations: 5 record(s) on the page before, 5 now"), "{said}");

        // Keyboard only: the first flagged field has the focus; type, Enter.
        let steps: [(&str, &str); 4] = [
            ("patient.name", "Beltran, Derek"),
            ("immunizations[0].lot", "0EE472M"),
            ("immunizations[2].lot", "CS3150"),
            // As read: Enter confirms it.
            ("immunizations[3].lot", ""),
        ];
        for (field, typed) in steps {
            assert_eq!(active_field(&client).await, field, "the next flagged field has the focus");
            let active = client.active_element().await.unwrap();
            active.send_keys(&format!("{typed}{ENTER}")).await.unwrap();
            keys.push((field.to_string(), typed.chars().count() + 1));
            revision = wait_for_revision_above(&client, revision).await;
        }

        // The page that matches no document type: w, the reason, Enter.
        assert_eq!(active_field(&client).await, "", "no flagged field is left");
        client.find(Locator::Css("body")).await.unwrap().send_keys("w").await.unwrap();
        let select = client.active_element().await.unwrap();
        assert_eq!(select.attr("name").await.unwrap().as_deref(), Some("because"));
        select.select_by_value("not_applicable").await.unwrap();
        let select = client.active_element().await.unwrap();
        select.send_keys(ENTER).await.unwrap();
        keys.push(("unknown_document (waived)".to_string(), 3));
        revision = wait_for_revision_above(&client, revision).await;
        let _ = revision;

        // a: approve, and the next chart opens.
        client.find(Locator::Css("body")).await.unwrap().send_keys("a").await.unwrap();
        keys.push(("approve and next".to_string(), 1));
        for _ in 0..100 {
            let url = client.current_url().await.unwrap();
            if url.path() == "/chart" && !url.as_str().contains("0014-beltran-derek") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = client.current_url().await.unwrap();
        assert!(!url.as_str().contains("0014-beltran-derek") && url.path() == "/chart", "the next chart opened: {url}");
        client.close().await.unwrap();
        keys
    });

    // What a records manager checks: the chart is accepted with the values typed.
    let store = Store::open(&db.path).unwrap();
    let state = store.review_state(CHART).unwrap().unwrap();
    assert_eq!(state.status.as_str(), "accepted");
    let value = |path: &str| {
        let v = state.values.iter().find(|v| v.value.path == path).unwrap_or_else(|| panic!("no {path}"));
        (v.value.value.as_ref().map(|x| x.to_string()).unwrap_or_default(), v.verified.as_ref().map(|v| v.by.clone()))
    };
    assert_eq!(value("patient.family"), ("Beltran".into(), Some("tina".into())));
    assert_eq!(value("patient.given"), ("Derek".into(), Some("tina".into())));
    assert_eq!(value("immunizations[0].lot"), ("0EE472M".into(), Some("tina".into())));
    assert_eq!(value("immunizations[2].lot"), ("CS3150".into(), Some("tina".into())));
    assert_eq!(value("immunizations[3].lot"), ("ZL1787".into(), Some("tina".into())));
    assert_eq!(state.flags.iter().filter(|f| f.is_open()).count(), 0);
    let waived = state.flags.iter().find(|f| f.flag.code.as_str() == "unknown_document").unwrap();
    assert_eq!(waived.resolution.as_deref(), Some("waived: not_applicable"));

    // The export carries them, and the five immunizations (none lost).
    let out = super::bin().args(["export", "--db"]).arg(&db.path).output().unwrap();
    let docs = read_jsonl(&out.stdout);
    let doc = docs.iter().find(|d| d["chart_id"] == CHART).expect("the approved chart is exported");
    assert_eq!(doc["patient"]["family"], "Beltran");
    assert_eq!(doc["immunizations"].as_array().unwrap().len(), 5);
    assert_eq!(doc["immunizations"][2]["lot"], "CS3150");

    // The audit: the views and every change, by tina.
    let audit = audit_actions(&db.path, Some(CHART));
    for action in ["viewed", "read_again", "corrected", "confirmed", "waived", "approved"] {
        assert!(audit.iter().any(|(op, a, _)| op == "tina" && a == action), "{action} by tina audited: {audit:?}");
    }
    assert!(audit.iter().any(|(_, a, r)| a == "viewed" && r.as_deref() == Some("page 6 image shown in the web station")));

    // Keystrokes per flagged field, for the README.
    for (what, n) in &keys {
        eprintln!("keystrokes: {what}: {n}");
    }
    assert_eq!(keys.iter().find(|(f, _)| f == "immunizations[3].lot").map(|k| k.1), Some(1), "a confirmation is one key");
}

/// One HTTPS request to the station, trusting only `cert`; the raw response.
fn https_request(port: u16, cert: &rcgen::CertifiedKey, request: &str) -> String {
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn beyond_loopback_the_station_serves_over_tls_with_secure_cookies() {
    let db = db_with_users();
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
    let port = free_port();
    let _serve = Child(
        super::bin()
            .args(["serve", "--bind", &format!("0.0.0.0:{port}"), "--db"])
            .arg(&db.path)
            .arg("--tls-cert")
            .arg(&cert_file)
            .arg("--tls-key")
            .arg(&key_file)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    let page = https_request(port, &cert, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let body = "name=tina&password=tina-password-1";
    let login = https_request(
        port,
        &cert,
        &format!(
            "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = login.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"), "{cookie}");
}

#[test]
fn a_page_turned_and_read_again_from_the_command_line_keeps_its_records() {
    let db = db_with_users();
    let chart = "box-01/0003-watts-laura";
    let store = Store::open(&db.path).unwrap();
    let before = store.review_state(chart).unwrap().unwrap();
    assert_eq!(before.pages[4].rotation, 90, "the batch read page 5 turned a quarter");
    let immunizations = |s: &chartmill::store::ReviewState| {
        s.values.iter().filter(|v| v.value.path.starts_with("immunizations[") && v.value.path.ends_with(".vaccine")).count()
    };
    let review = |args: &[&str]| {
        super::bin()
            .arg("review")
            .args(args)
            .arg("--db")
            .arg(&db.path)
            .args(["--operator", "tina", "--archive"])
            .arg(fixtures().join("archive"))
            .output()
            .unwrap()
    };
    // A type the pipeline does not have: refused, nothing changed.
    let out = review(&["reread", chart, "5", "--as", "lab_report"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no document type lab_report"));
    // Turned upside down first: OCR still finds the page's orientation.
    let out = review(&["reread", chart, "5", "--turn", "180"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("page 5 read again (turned 180°, read at 90°)"), "{said}");
    let after = store.review_state(chart).unwrap().unwrap();
    assert_eq!(immunizations(&after), immunizations(&before), "{said}");
    assert_eq!(after.pages[4].rotation, 90);
    assert_eq!(after.queue.as_ref().unwrap().revision, before.queue.as_ref().unwrap().revision + 1);
    let audit = audit_actions(&db.path, Some(chart));
    assert!(audit.iter().any(|(op, a, r)| op == "tina" && a == "read_again" && r.as_deref().is_some_and(|r| r.starts_with("page 5"))));
}

#[test]
fn users_are_added_from_standard_input_and_the_audit_lists_views_beside_changes() {
    use std::io::Write;
    let db = db_with_users();
    let add = |name: &str, password: &str| {
        let mut child = super::bin()
            .args(["user", "add", name, "--role", "viewer", "--db"])
            .arg(&db.path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = add("sam", "short");
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    let ok = add("sam", "a long enough password");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let user = Store::open(&db.path).unwrap().user("sam").unwrap().unwrap();
    assert!(user.password_hash.starts_with("$argon2id$") && !user.password_hash.contains("long enough"));
    assert_eq!(add("sam", "a long enough password").status.code(), Some(2), "a name is taken once");
    let list = super::bin().args(["user", "list", "--db"]).arg(&db.path).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("sam                  viewer"));

    // A view and a change of one chart, then the audit of it by kind.
    let review = |args: &[&str]| super::bin().arg("review").args(args).arg("--db").arg(&db.path).args(["--operator", "tina"]).output().unwrap();
    assert!(review(&["show", CHART, "--no-crops"]).status.success());
    assert!(review(&["confirm", CHART, "immunizations[3].lot"]).status.success());
    let audit = |kind: &str| {
        let out = super::bin()
            .args(["audit", "--chart", CHART, "--kind", kind, "--operator", "ada", "--db"])
            .arg(&db.path)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let views = audit("views");
    assert!(views.contains("tina") && views.contains("viewed") && views.contains("values shown on the command line"), "{views}");
    assert!(!views.contains("confirmed"));
    let changes = audit("changes");
    assert!(changes.contains("confirmed") && changes.contains("immunizations[3].lot") && !changes.contains(" viewed "), "{changes}");
    // Reading the audit is itself a view, recorded.
    assert!(audit_actions(&db.path, Some(CHART)).iter().any(|(op, a, r)| op == "ada" && a == "viewed" && r.as_deref() == Some("audit shown on the command line")));
}

#[test]
fn a_flagged_diagnosis_code_has_its_own_box_and_is_corrected_alone() {
    let db = db_with_users();
    let app = App::new(&db.path, Duration::from_secs(900));
    let (tech, csrf) = app.login("tina");
    let chart = "box-01/0003-watts-laura";
    let part = "encounters[1].diagnoses[2].code";
    let uri = format!("/chart?id={}", form_urlencoded::byte_serialize(chart.as_bytes()).collect::<String>());
    let page = app.get(&uri, Some(&tech)).text();
    assert!(page.contains(&format!("class=\"value part flagged\" method=\"post\" action=\"/act\" data-field=\"{part}\"")), "a box of its own");
    let revision = hidden(&page, "revision");
    // The code as the page has it (OCR read V70.Q): five characters and Enter.
    let r = app.post(
        "/act",
        Some(&tech),
        &[("csrf", &csrf), ("id", chart), ("revision", &revision), ("op", "save"), ("field", part), ("value", "V70.0"), ("original", "V70.Q")],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let state = Store::open(&db.path).unwrap().review_state(chart).unwrap().unwrap();
    let diagnoses: Vec<(String, String, bool)> = state
        .values
        .iter()
        .filter(|v| v.value.path.starts_with("encounters[1].diagnoses["))
        .map(|v| (v.value.path.clone(), v.value.value.as_ref().map(|x| x.to_string()).unwrap_or_default(), v.verified.is_some()))
        .collect();
    assert_eq!(diagnoses.len(), 6, "three diagnoses, code and text each: none dropped");
    assert!(diagnoses.contains(&(part.to_string(), "V70.0".to_string(), true)));
    assert!(diagnoses.iter().any(|(p, v, verified)| p == "encounters[1].diagnoses[0].code" && v == "780.52" && !verified), "the others as read");
    assert!(state.flags.iter().filter(|f| f.flag.field.as_deref() == Some(part)).all(|f| !f.is_open()));
}
