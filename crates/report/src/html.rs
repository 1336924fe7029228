//! The fleet report as one self-contained HTML page.
//!
//! [`html`] draws a [`Report`] for a DBA with many databases: a header with the counts per
//! status, one status table row per database (stale rows amber, failed and error rows red,
//! the status word always written out), and per database a timeline (inline SVG) of its
//! snapshots, its recovery window and its restore tests.
//!
//! The page needs nothing but itself: inline CSS and SVG, no JavaScript, and a
//! Content-Security-Policy that refuses any network asset. Every text from the model is
//! escaped. The output depends on the report only (its `generated` time stands for "now"),
//! so it can be pinned by a snapshot test.

use backupcore::snap::human_size;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::{
    DbReport, Report, RestoreSummary, RestoreTest, SnapshotPoint, SnapshotSummary, Status,
};

/// Only inline styles and `data:` images; no script, no network.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const TITLE: &str = "Image copy backup report";

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:1rem 1.5rem;color:#1b1b1b;background:#fff}
h1{margin:0 0 .3rem}
h2{margin:1.2rem 0 .4rem;font-size:1.15rem}
a{color:inherit}
.counts span{padding:0 .3rem;border-radius:3px}
table{border-collapse:collapse;font-size:.85rem}
th,td{border:1px solid #c8c8c8;padding:.2rem .45rem;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#e9ecef}
td.num{text-align:right}
td.t,.nw{white-space:nowrap}
td ul,section ul{margin:0;padding-left:1.1rem}
.counts .status-ok,.badge.status-ok{background:#cdebd3}
.status-stale{background:#ffe08a}
.status-failed,.status-error{background:#f6b8b8}
td.status,.badge{font-weight:bold}
.badge{padding:0 .3rem;border-radius:3px;font-size:.9rem}
.bad{color:#a00000;font-weight:bold}
li.error{color:#a00000}
section.timeline{margin:.8rem 0;padding-top:.2rem;border-top:1px solid #c8c8c8;background:none}
svg.timeline{display:block;width:100%;max-width:1000px;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}
.window{fill:#cfe3f5;stroke:#4a86c5}
.snap{fill:#1f5fa8;stroke:#1f5fa8;stroke-width:1.5}
.snap.norp{fill:#fff}
.rt-ok{fill:#1a7f37}
.rt-fail{stroke:#c62828;stroke-width:3;fill:none}
.axis{stroke:#555}
.now{stroke:#555;stroke-dasharray:4 3}
p.empty{color:#555;font-style:italic}
";

/// Renders the whole report as one HTML5 document: header with the counts per status, the
/// status table (`<tr id="db-NAME" class="status-ok|status-stale|status-failed|status-error">`)
/// and one timeline section per database (`<section class="timeline" id="timeline-NAME">`).
///
/// The page loads nothing (no JavaScript, no fonts, no images; its Content-Security-Policy
/// refuses them) and the same report always gives the same bytes.
pub fn html(report: &Report) -> String {
    let mut out = String::with_capacity(4096 + report.databases.len() * 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{TITLE}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
    ));
    out.push_str(&header(report));
    out.push_str("<main>\n");
    out.push_str(&status_table(report));
    out.push_str("<h2>Timelines</h2>\n");
    out.push_str(LEGEND);
    for d in &report.databases {
        out.push_str(&timeline_section(d, report.generated));
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`,
/// `'`).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSS class of a status.
fn status_class(s: Status) -> &'static str {
    match s {
        Status::Ok => "status-ok",
        Status::Stale => "status-stale",
        Status::Failed => "status-failed",
        Status::Error => "status-error",
    }
}

/// A UTC time, to the second.
fn utc_long(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A UTC time in a table cell (the column says UTC), `-` when unknown.
fn utc_cell(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// A database time (naive), to the second.
fn naive_long(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A span of time, roughly: `2 d 3 h`, `5 h 12 min`.
fn span(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    if m >= 24 * 60 {
        format!("{} d {} h", m / (24 * 60), m % (24 * 60) / 60)
    } else {
        format!("{} h {} min", m / 60, m % 60)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

const STATUSES: [Status; 4] = [Status::Ok, Status::Stale, Status::Failed, Status::Error];

/// Title, generation time, counts per status and links to the databases needing attention.
fn header(report: &Report) -> String {
    let counts: Vec<String> = STATUSES
        .iter()
        .map(|&s| {
            let n = report.databases.iter().filter(|d| d.status == s).count();
            format!(
                "<span class=\"{}\">{n} {}</span>",
                status_class(s),
                s.as_str()
            )
        })
        .collect();
    let mut out = format!(
        "<header>\n<h1>{TITLE}</h1>\n<p>Generated <time datetime=\"{}\">{}</time></p>\n<p class=\"counts\">{}: {}</p>\n",
        report.generated.format("%Y-%m-%dT%H:%M:%SZ"),
        utc_long(report.generated),
        plural(report.databases.len(), "database", "databases"),
        counts.join(", ")
    );
    let attention: Vec<String> = report
        .databases
        .iter()
        .filter(|d| d.status != Status::Ok)
        .map(|d| {
            let name = escape(&d.database);
            format!("<a href=\"#db-{name}\">{name}</a> ({})", d.status.as_str())
        })
        .collect();
    if !attention.is_empty() {
        out.push_str(&format!(
            "<p class=\"attention\">Needs attention: {}</p>\n",
            attention.join(", ")
        ));
    }
    out.push_str("</header>\n");
    out
}

/// The status table, one row per database in the report's order.
fn status_table(report: &Report) -> String {
    let mut out = String::from(
        "<h2>Status</h2>\n<table class=\"status\">\n<thead><tr><th scope=\"col\">Database</th><th scope=\"col\">Status</th><th scope=\"col\">Problems / errors</th><th scope=\"col\">Newest snapshot (UTC)</th><th scope=\"col\">Snapshots</th><th scope=\"col\">Recovery window (database time)</th><th scope=\"col\">Unique space</th><th scope=\"col\">Last restore success (UTC)</th><th scope=\"col\">Last restore failure (UTC)</th><th scope=\"col\">Last backup run</th></tr></thead>\n<tbody>\n",
    );
    for d in &report.databases {
        out.push_str(&status_row(d));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// One database's row.
fn status_row(d: &DbReport) -> String {
    let name = escape(&d.database);
    let s = d.snapshots.as_ref();
    let r = d.restores.as_ref();
    format!(
        "<tr id=\"db-{name}\" class=\"{}\"><th scope=\"row\"><a href=\"#timeline-{name}\">{name}</a></th><td class=\"status\">{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"t\">{}</td>{}{}</tr>\n",
        status_class(d.status),
        d.status.as_str(),
        problems_list(d),
        utc_cell(s.and_then(|s| s.newest)),
        s.map_or_else(|| "-".to_string(), |s| s.count.to_string()),
        window_cell(s),
        s.map_or_else(|| "-".to_string(), |s| human_size(s.unique_bytes)),
        utc_cell(r.and_then(|r| r.last_success)),
        failure_cell(r),
        last_run_cell(d),
    )
}

/// The problems and errors as a list, `-` when there are none.
fn problems_list(d: &DbReport) -> String {
    if d.problems.is_empty() && d.errors.is_empty() {
        return "-".to_string();
    }
    let problems = d.problems.iter().map(|p| format!("<li>{}</li>", escape(p)));
    let errors = d
        .errors
        .iter()
        .map(|e| format!("<li class=\"error\">Error: {}</li>", escape(e)));
    format!("<ul>{}</ul>", problems.chain(errors).collect::<String>())
}

/// Oldest .. newest recoverable time and the span between them.
fn window_cell(s: Option<&SnapshotSummary>) -> String {
    match s {
        None => "-".to_string(),
        Some(s) if s.count == 0 => "no snapshots".to_string(),
        Some(s) => match (s.oldest_recoverable, s.newest_recoverable) {
            (Some(a), Some(b)) => format!(
                "<span class=\"nw\">{}</span> .. <span class=\"nw\">{}</span> <span class=\"nw\">({})</span>",
                a.format("%Y-%m-%d %H:%M"),
                b.format("%Y-%m-%d %H:%M"),
                span(b - a)
            ),
            _ => "unknown (no recovery point readable)".to_string(),
        },
    }
}

/// The last failed restore test, marked when it is the latest test.
fn failure_cell(r: Option<&RestoreSummary>) -> String {
    match r {
        Some(r) if r.latest_failed() => {
            format!("<td class=\"t bad\">{}</td>", utc_cell(r.last_failure))
        }
        _ => format!(
            "<td class=\"t\">{}</td>",
            utc_cell(r.and_then(|r| r.last_failure))
        ),
    }
}

/// The last backup run: its result, action and start; the log in the tooltip.
fn last_run_cell(d: &DbReport) -> String {
    let Some(l) = &d.last_run else {
        return "<td>-</td>".to_string();
    };
    let started = l
        .started
        .map(|t| format!(", {}", t.format("%Y-%m-%d %H:%M")))
        .unwrap_or_default();
    format!(
        "<td{} title=\"{}\">{} ({}{})</td>",
        if l.success { "" } else { " class=\"bad\"" },
        escape(&l.log),
        escape(&l.result),
        escape(&l.action),
        started
    )
}

/// The symbols of the timelines, drawn once.
const LEGEND: &str = "<svg class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 22\" width=\"900\" height=\"22\" role=\"img\"><title>Legend of the timelines</title>\
<circle class=\"snap\" cx=\"10\" cy=\"11\" r=\"6\"/><text x=\"22\" y=\"15\">snapshot</text>\
<circle class=\"snap norp\" cx=\"100\" cy=\"11\" r=\"6\"/><text x=\"112\" y=\"15\">snapshot without recovery point</text>\
<rect class=\"window\" x=\"300\" y=\"3\" width=\"30\" height=\"16\"/><text x=\"338\" y=\"15\">recovery window</text>\
<rect class=\"rt-ok\" x=\"450\" y=\"5\" width=\"12\" height=\"12\"/><text x=\"470\" y=\"15\">restore test succeeded</text>\
<path class=\"rt-fail\" d=\"M614 5L626 17M614 17L626 5\"/><text x=\"634\" y=\"15\">restore test failed</text>\
<line class=\"now\" x1=\"770\" y1=\"2\" x2=\"770\" y2=\"20\"/><text x=\"778\" y=\"15\">report time</text>\
</svg>\n";

/// One database's section: heading, problems and errors, and the timeline.
fn timeline_section(d: &DbReport, generated: DateTime<Utc>) -> String {
    let name = escape(&d.database);
    let mut out = format!(
        "<section class=\"timeline\" id=\"timeline-{name}\">\n<h2><a href=\"#db-{name}\">{name}</a> <span class=\"badge {}\">{}</span></h2>\n",
        status_class(d.status),
        d.status.as_str()
    );
    if !d.problems.is_empty() || !d.errors.is_empty() {
        out.push_str(&problems_list(d));
        out.push('\n');
    }
    match Scale::of(d, generated) {
        Some(scale) => out.push_str(&timeline_svg(d, &scale)),
        None => out.push_str("<p class=\"empty\">No snapshots or restore tests to draw.</p>\n"),
    }
    out.push_str("</section>\n");
    out
}

// Geometry of a timeline (viewBox units).
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 118.0;
const X0: f64 = 130.0;
const X1: f64 = 960.0;
const SNAP_Y: f64 = 32.0;
const TEST_Y: f64 = 66.0;
const AXIS_Y: f64 = 90.0;

/// Maps times (Unix seconds) to x coordinates.
struct Scale {
    start: i64,
    end: i64,
    generated: i64,
}

impl Scale {
    /// From the earliest event (snapshot, recovery point, restore test) to the report time;
    /// `None` when the database has no snapshot and no restore test.
    fn of(d: &DbReport, generated: DateTime<Utc>) -> Option<Scale> {
        let points = snapshot_points(d);
        let tests = restore_tests(d);
        let times: Vec<i64> = points
            .iter()
            .flat_map(|p| [Some(p.created.timestamp()), p.recoverable.map(db_time)])
            .flatten()
            .chain(
                tests
                    .iter()
                    .flat_map(|t| [t.started.timestamp(), t.finished.timestamp()]),
            )
            .collect();
        let start = times.iter().copied().min()?;
        let generated = generated.timestamp();
        let end = times
            .iter()
            .copied()
            .max()
            .map_or(generated, |m| m.max(generated));
        Some(Scale {
            start: start.min(end - 3600),
            end,
            generated,
        })
    }

    fn x(&self, t: i64) -> f64 {
        X0 + (t - self.start) as f64 / (self.end - self.start) as f64 * (X1 - X0)
    }
}

fn snapshot_points(d: &DbReport) -> &[SnapshotPoint] {
    d.snapshots.as_ref().map_or(&[], |s| &s.snapshots)
}

fn restore_tests(d: &DbReport) -> &[RestoreTest] {
    d.restores.as_ref().map_or(&[], |r| &r.history)
}

/// A recovery point (database time) drawn as if it were UTC.
fn db_time(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

/// The inline SVG of one database's timeline.
fn timeline_svg(d: &DbReport, scale: &Scale) -> String {
    let mut out = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\"><title>{}</title>\n",
        svg_title(d, scale)
    );
    out.push_str(&format!(
        "<text x=\"8\" y=\"{:.1}\">Snapshots</text><text x=\"8\" y=\"{:.1}\">Restore tests</text>\n",
        SNAP_Y + 4.0,
        TEST_Y + 4.0
    ));
    out.push_str(&axis(scale));
    if let Some(bar) = window_bar(d, scale) {
        out.push_str(&bar);
    }
    for p in snapshot_points(d) {
        out.push_str(&snapshot_marker(p, scale));
    }
    for t in restore_tests(d) {
        out.push_str(&test_marker(t, scale));
    }
    out.push_str("</svg>\n");
    out
}

/// The accessible name of a timeline: what it shows, in words.
fn svg_title(d: &DbReport, scale: &Scale) -> String {
    let points = snapshot_points(d);
    let tests = restore_tests(d);
    let failed = tests.iter().filter(|t| !t.success).count();
    let window = d
        .snapshots
        .as_ref()
        .and_then(|s| Some((s.oldest_recoverable?, s.newest_recoverable?)))
        .map_or_else(
            || "recovery window unknown".to_string(),
            |(a, b)| format!("recovery window {} .. {}", naive_long(a), naive_long(b)),
        );
    escape(&format!(
        "Timeline of {}: {}, {window}, {} ({failed} failed), {} .. {}",
        d.database,
        plural(points.len(), "snapshot", "snapshots"),
        plural(tests.len(), "restore test", "restore tests"),
        utc_long(unix(scale.start)),
        utc_long(unix(scale.end))
    ))
}

fn unix(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// Tick steps, seconds: the smallest one giving at most [`MAX_TICKS`] ticks is used.
const STEPS: [i64; 11] = [
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    7 * 86400,
    14 * 86400,
    30 * 86400,
    91 * 86400,
    365 * 86400,
];
const MAX_TICKS: i64 = 5;

/// The tick times (multiples of the step since the epoch, UTC) and the step.
fn ticks(start: i64, end: i64) -> (Vec<i64>, i64) {
    let span = end - start;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= MAX_TICKS)
        .unwrap_or_else(|| (span / MAX_TICKS / (365 * 86400) + 1) * 365 * 86400);
    let first = (start + step - 1).div_euclid(step) * step;
    let mut ticks = Vec::new();
    let mut t = first;
    while t <= end {
        ticks.push(t);
        t += step;
    }
    (ticks, step)
}

/// The time axis with its date labels and the report time.
fn axis(scale: &Scale) -> String {
    let mut out = format!(
        "<line class=\"axis\" x1=\"{X0:.1}\" y1=\"{AXIS_Y:.1}\" x2=\"{X1:.1}\" y2=\"{AXIS_Y:.1}\"/>\n"
    );
    let (ticks, step) = ticks(scale.start, scale.end);
    let format = if step >= 86400 {
        "%Y-%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    for t in ticks {
        let x = scale.x(t);
        out.push_str(&format!(
            "<line class=\"axis\" x1=\"{x:.1}\" y1=\"{AXIS_Y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            AXIS_Y + 5.0,
            AXIS_Y + 18.0,
            unix(t).format(format)
        ));
    }
    let x = scale.x(scale.generated);
    out.push_str(&format!(
        "<line class=\"now\" x1=\"{x:.1}\" y1=\"14\" x2=\"{x:.1}\" y2=\"{AXIS_Y:.1}\"><title>Report time {}</title></line><text x=\"{x:.1}\" y=\"10\" text-anchor=\"end\">report time</text>\n",
        utc_long(unix(scale.generated))
    ));
    out
}

/// The recovery window as a bar on the snapshot lane.
fn window_bar(d: &DbReport, scale: &Scale) -> Option<String> {
    let s = d.snapshots.as_ref()?;
    let (a, b) = (s.oldest_recoverable?, s.newest_recoverable?);
    let (x0, x1) = (scale.x(db_time(a)), scale.x(db_time(b)));
    Some(format!(
        "<rect class=\"window\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"18\"><title>{}</title></rect>\n",
        SNAP_Y - 9.0,
        (x1 - x0).max(2.0),
        escape(&format!(
            "Recovery window {} .. {} (database time, {})",
            naive_long(a),
            naive_long(b),
            span(b - a)
        ))
    ))
}

/// A snapshot: a circle at its creation, hollow when it holds no recovery point.
fn snapshot_marker(p: &SnapshotPoint, scale: &Scale) -> String {
    let recoverable = p.recoverable.map_or_else(|| "none".to_string(), naive_long);
    let tip = format!(
        "Snapshot {}\ncreated {}\nrecoverable to {recoverable}\nunique {}, total {}, clones {}",
        p.id,
        utc_long(p.created),
        human_size(p.unique_bytes),
        human_size(p.total_bytes),
        p.clones
    );
    format!(
        "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{SNAP_Y:.1}\" r=\"6\"><title>{}</title></circle>\n",
        if p.recoverable.is_some() {
            "snap"
        } else {
            "snap norp"
        },
        scale.x(p.created.timestamp()),
        escape(&tip)
    )
}

/// A restore test at its start: a green square when it succeeded, a red cross when not.
fn test_marker(t: &RestoreTest, scale: &Scale) -> String {
    let x = scale.x(t.started.timestamp());
    let tip = escape(&test_tooltip(t));
    if t.success {
        format!(
            "<rect class=\"rt-ok\" x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\"><title>{tip}</title></rect>\n",
            x - 6.0,
            TEST_Y - 6.0
        )
    } else {
        format!(
            "<path class=\"rt-fail\" d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\"><title>{tip}</title></path>\n",
            x - 6.0,
            TEST_Y - 6.0,
            x + 6.0,
            TEST_Y + 6.0,
            x - 6.0,
            TEST_Y + 6.0,
            x + 6.0,
            TEST_Y - 6.0
        )
    }
}

fn test_tooltip(t: &RestoreTest) -> String {
    let mut tip = format!(
        "Restore test {}\nstarted {}, took {}",
        if t.success { "succeeded" } else { "FAILED" },
        utc_long(t.started),
        span(t.finished - t.started)
    );
    if let Some(s) = &t.snapshot {
        tip.push_str(&format!("\nsnapshot {s}"));
    }
    tip.push_str(if t.validated {
        "\nevery block validated"
    } else {
        "\nblocks not all validated"
    });
    if let Some(diff) = t.verification_diff_seconds {
        tip.push_str(&format!("\ndifference from target {diff} s"));
    }
    if let Some(n) = t.corrupt_blocks {
        tip.push_str(&format!("\ncorrupt blocks {n}"));
    }
    tip
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sample::{sample, t};

    #[test]
    fn escape_all_five() {
        assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(escape("plain ÄÖ text"), "plain ÄÖ text");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn page_snapshot() {
        let sample = sample();
        assert_eq!(
            sample
                .databases
                .iter()
                .map(|d| d.status)
                .collect::<Vec<_>>(),
            [Status::Ok, Status::Failed, Status::Error]
        );
        let page = html(&sample);
        insta::assert_snapshot!(page);
    }

    #[test]
    fn model_text_is_escaped() {
        let page = html(&sample());
        assert!(!page.contains("<script"), "raw <script> in the page");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
        );
        let mut odd = sample();
        odd.databases[0].database = "a\"b<c>&'d".into();
        let page = html(&odd);
        assert!(page.contains("id=\"db-a&quot;b&lt;c&gt;&amp;&#39;d\""));
        assert!(page.contains("id=\"timeline-a&quot;b&lt;c&gt;&amp;&#39;d\""));
        assert!(!page.contains("a\"b<c>&'d"));
    }

    #[test]
    fn page_is_self_contained() {
        let page = html(&sample());
        assert!(page.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        )));
        let lower = page.to_lowercase();
        for banned in [
            "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
        ] {
            assert!(!lower.contains(banned), "page contains {banned}");
        }
        let external = lower.matches("http").count();
        let svg_ns = lower
            .matches("xmlns=\"http://www.w3.org/2000/svg\"")
            .count();
        assert!(svg_ns > 0);
        assert_eq!(
            external,
            svg_ns + 1,
            "only the SVG namespaces and the CSP http-equiv"
        );
    }

    #[test]
    fn rows_timelines_and_counts() {
        let page = html(&sample());
        assert!(page.contains("3 databases: <span class=\"status-ok\">1 OK</span>, <span class=\"status-stale\">0 STALE</span>, <span class=\"status-failed\">1 FAILED</span>, <span class=\"status-error\">1 ERROR</span>"));
        assert!(page.contains("<tr id=\"db-orcl\" class=\"status-ok\">"));
        assert!(page.contains("<tr id=\"db-old\" class=\"status-failed\">"));
        assert!(page.contains("<tr id=\"db-broken\" class=\"status-error\">"));
        assert_eq!(page.matches("<section class=\"timeline\"").count(), 3);
        // orcl and old have timelines, broken has nothing to draw.
        assert_eq!(page.matches("<svg class=\"timeline\"").count(), 2);
        assert_eq!(
            page.matches("No snapshots or restore tests to draw.")
                .count(),
            1
        );
        // The legend's two circles, one square and one cross, then orcl's and old's.
        assert_eq!(page.matches("<circle class=\"snap").count(), 4 + 2);
        assert_eq!(page.matches("<rect class=\"rt-ok\"").count(), 3 + 1);
        assert_eq!(page.matches("<path class=\"rt-fail\"").count(), 1 + 1);
        assert_eq!(html(&sample()), page, "deterministic");
    }

    #[test]
    fn stale_row_and_ticks() {
        let mut r = sample();
        r.generated = t("2026-12-01T00:00:00Z");
        for d in &mut r.databases {
            d.assess(r.generated, std::time::Duration::from_secs(26 * 3600));
        }
        let page = html(&r);
        assert!(page.contains("<tr id=\"db-orcl\" class=\"status-stale\">"));
        let (ts, step) = ticks(0, 10 * 86400);
        assert_eq!(step, 2 * 86400);
        assert_eq!(ts, [0, 2, 4, 6, 8, 10].map(|d| d * 86400));
        let (ts, step) = ticks(100, 3700);
        assert_eq!(step, 3600);
        assert_eq!(ts, [3600]);
        let (_, step) = ticks(0, 40 * 365 * 86400);
        assert_eq!(step, 9 * 365 * 86400);
    }
}
