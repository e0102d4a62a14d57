//! The indicator benchmark (issue 4): generates synthetic stroke registrations (48
//! hospitals, 10 years), builds the columns, computes the full indicator table and prints
//! the times and the memory the columns hold, and what the indicator follower pays per
//! change at this size (an append, a compaction). It also writes the same data as CSV, with the
//! engine's results, for `compare_duckdb.py` to compute the same table with DuckDB.
//!
//! Run: `cargo bench -p kvalreg-analytics --bench indicator_table -- [--rows N] [--out DIR]`
//! (see bench/README.md).

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::{Date, date};
use kvalreg_analytics::{
    Chunks, Columns, ColumnsBuilder, Granularity, Hospital, Query, Units, Vector, compute, compute_chunks,
};
use kvalreg_core::definition::{Register, SourceFile, load};
use kvalreg_core::value::{Moment, Record, Value};

/// The first year generated; ten years follow.
const FIRST_YEAR: i16 = 2015;
const YEARS: i16 = 10;

fn main() {
    let options = Options::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let register = load(&read_folder(&root.join("registers/stroke"))).unwrap_or_else(|errors| {
        eprintln!(
            "{}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
        std::process::exit(2);
    });
    let hospitals = read_hospitals(&root.join("reference/hospitals_no.csv"));
    let units = Units::new(
        "Norge",
        hospitals.iter().map(|h| Hospital {
            code: h.code.clone(),
            health_trust: h.trust.clone(),
            health_region: h.region.clone(),
        }),
    );
    println!(
        "generating {} registrations at {} hospitals over {YEARS} years",
        options.rows,
        hospitals.len()
    );

    let started = Instant::now();
    let mut builder = ColumnsBuilder::for_register(&register);
    let mut generator = Generator {
        random: Random(0x5eed_1234_abcd_0042),
        hospitals: &hospitals,
    };
    let mut push_time = Duration::ZERO;
    for i in 0..options.rows {
        let record = generator.registration(i, options.rows);
        let pushed = Instant::now();
        if let Err(e) = builder.push(&record) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        push_time += pushed.elapsed();
    }
    let generated = started.elapsed();
    let derive_start = Instant::now();
    let mut columns = builder.finish();
    columns.add_derived(&register);
    let derive_time = derive_start.elapsed();
    println!("generated and pushed in {:.2} s", generated.as_secs_f64());
    println!(
        "columns built: {:.3} s pushing records + {:.3} s finishing and deriving {} derived variables",
        push_time.as_secs_f64(),
        derive_time.as_secs_f64(),
        register.derived.len()
    );
    println!(
        "memory held by the columns: {:.1} MiB for {} registrations ({} columns); peak RSS {:.1} MiB",
        columns.memory_size() as f64 / 1_048_576.0,
        columns.len(),
        columns.names().len(),
        peak_rss_mib()
    );

    let as_of = date(FIRST_YEAR + YEARS, 1, 31);
    let query = Query::new(as_of, Granularity::Year);
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..options.repeat {
        let start = Instant::now();
        let result = compute(&register, &columns, &units, &query);
        times.push(start.elapsed().as_secs_f64());
        report = Some(result);
    }
    times.sort_by(f64::total_cmp);
    let Some(report) = report else { return };
    println!(
        "indicator table: {} results ({} indicators × units × years, with intervals)",
        report.results.len(),
        register.indicators.len()
    );
    println!(
        "kvalreg engine: best {:.4} s, median {:.4} s over {} runs",
        times[0],
        times[times.len() / 2],
        times.len()
    );

    follower_step(&register, &columns, &mut generator, &units, &query, options.rows);

    if options.detail {
        for indicator in &register.indicators {
            let mut single = register.clone();
            single.indicators = vec![indicator.clone()];
            let start = Instant::now();
            let result = compute(&single, &columns, &units, &query);
            println!(
                "  {:<16} {:>8.4} s  {:>5} results",
                indicator.id,
                start.elapsed().as_secs_f64(),
                result.results.len()
            );
        }
    }

    if let Some(out) = &options.out {
        if let Err(e) = write_outputs(out, &register, &columns, &hospitals, &report, as_of, &times) {
            eprintln!("cannot write {}: {e}", out.display());
            std::process::exit(2);
        }
        println!("wrote {}", out.display());
    }
}

/// What the indicator follower does per change at this size: a batch of changed
/// registrations built, derived and appended to the chunks with their old rows marked dead
/// (the loaded chunk shared, only its live-row mask copied); the table over the chunks; the
/// table over chunks with a quarter of the rows dead, and their compaction.
fn follower_step(
    register: &Register,
    columns: &Columns,
    generator: &mut Generator<'_>,
    units: &Units,
    query: &Query,
    rows: usize,
) {
    let mut chunks = Chunks::from(columns.clone());
    for size in [1, 100] {
        let mut times = Vec::new();
        for round in 0..3 {
            let started = Instant::now();
            let mut batch = ColumnsBuilder::for_register(register);
            let mut dead = Vec::new();
            for k in 0..size {
                let row = (round * size + k) * 7919 % rows.max(1);
                dead.push(row);
                if let Err(e) = batch.push(&generator.registration(row, rows)) {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            }
            let mut batch = batch.finish();
            batch.add_derived(register);
            chunks = or_exit(chunks.appended(&batch, &dead));
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "follower: {size} changed registration(s) appended, old rows marked dead: best {:.4} s, median {:.4} s",
            times[0],
            times[times.len() / 2]
        );
    }
    let started = Instant::now();
    let report = compute_chunks(register, &chunks, units, query);
    println!(
        "follower: indicator table over {} chunks ({} rows, {} dead): {:.4} s ({} results)",
        chunks.chunks().count(),
        chunks.len(),
        chunks.dead_count(),
        started.elapsed().as_secs_f64(),
        report.results.len()
    );
    let quarter: Vec<usize> = (0..chunks.len()).filter(|r| r % 4 == 0).collect();
    let mut nothing = ColumnsBuilder::for_register(register).finish();
    nothing.add_derived(register);
    let with_dead = or_exit(chunks.appended(&nothing, &quarter));
    let started = Instant::now();
    let report = compute_chunks(register, &with_dead, units, query);
    println!(
        "follower: indicator table with {} dead rows: {:.4} s ({} results)",
        with_dead.dead_count(),
        started.elapsed().as_secs_f64(),
        report.results.len()
    );
    let started = Instant::now();
    let compacted = with_dead.compacted();
    println!(
        "follower: compaction to {} live rows: {:.4} s",
        compacted.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The value, or the error printed and the benchmark stopped.
fn or_exit<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    })
}

struct Options {
    rows: usize,
    /// Also time each indicator on its own.
    detail: bool,
    repeat: usize,
    out: Option<PathBuf>,
}

impl Options {
    fn from_args() -> Options {
        let mut options = Options {
            rows: 1_000_000,
            detail: false,
            repeat: 5,
            out: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--rows" => options.rows = args.next().and_then(|n| n.parse().ok()).unwrap_or(options.rows),
                "--repeat" => {
                    options.repeat = args
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(options.repeat)
                        .max(1)
                }
                "--out" => options.out = args.next().map(PathBuf::from),
                "--detail" => options.detail = true,
                // cargo bench passes --bench; other flags are not ours.
                _ => {}
            }
        }
        options
    }
}

fn read_folder(root: &Path) -> Vec<SourceFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(root, &path, out);
            } else if let (Ok(relative), Ok(text)) = (path.strip_prefix(root), std::fs::read_to_string(&path)) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(SourceFile {
                    path: parts.join("/"),
                    text,
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

struct HospitalRow {
    code: String,
    trust: String,
    region: String,
    evt_centre: bool,
}

fn read_hospitals(path: &Path) -> Vec<HospitalRow> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            match fields.as_slice() {
                [code, _name, trust, region, centre] => Some(HospitalRow {
                    code: code.to_string(),
                    trust: trust.to_string(),
                    region: region.to_string(),
                    evt_centre: *centre == "true",
                }),
                _ => None,
            }
        })
        .collect()
}

/// The peak resident set size of this process, from /proc (0 where unavailable).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A small, fast pseudo-random generator (SplitMix64), so runs are reproducible.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A whole number in `low..high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }
}

struct Generator<'a> {
    random: Random,
    hospitals: &'a [HospitalRow],
}

impl Generator<'_> {
    /// Registration `i` of `n`, spread evenly over the years.
    fn registration(&mut self, i: usize, n: usize) -> Record {
        let r = &mut self.random;
        let mut record = Record::new();
        let mut set = |name: &str, value: Value| {
            record.insert(name.to_string(), value);
        };
        let year = FIRST_YEAR + i16::try_from(i * usize::from(YEARS.unsigned_abs()) / n.max(1)).unwrap_or(0);
        let year_start = date(year, 1, 1)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0);
        // Bigger hospitals get more patients: weight by position in a skewed way.
        let index = (r.range(0, 1000) * r.range(0, 1000) / 1000) as usize * self.hospitals.len() / 1000;
        let hospital = &self.hospitals[index.min(self.hospitals.len() - 1)];
        let centres: Vec<&HospitalRow> = self.hospitals.iter().filter(|h| h.evt_centre).collect();
        let at = |seconds: i64| {
            Timestamp::from_second(seconds)
                .map(Moment::At)
                .unwrap_or(Moment::DateOnly(date(2020, 1, 1)))
        };
        let day_of = |seconds: i64| -> Date {
            Timestamp::from_second(seconds)
                .map(|t| kvalreg_core::time::oslo_date(&Moment::At(t)))
                .unwrap_or(date(2020, 1, 1))
        };

        set("hospital", Value::Code(hospital.code.clone()));
        set(
            "sex",
            Value::Code(if r.chance(0.5) { "male" } else { "female" }.to_string()),
        );
        let age = r.range(40, 98);
        let onset = year_start + r.range(0, 364 * 86_400);
        let birth = day_of(onset - age * 365 * 86_400 - r.range(0, 300) * 86_400);
        set("birth_date", Value::Date(birth));
        let diagnosis = match r.range(0, 100) {
            0..85 => "I63",
            85..97 => "I61",
            _ => "I64",
        };
        set("diagnosis", Value::Code(diagnosis.to_string()));
        set("inclusion_criterion", Value::Code("1".to_string()));
        let in_hospital = r.chance(0.06);
        set(
            "stroke_location",
            Value::Code(if in_hospital { "in_hospital" } else { "outside_hospital" }.to_string()),
        );
        let arrival = if in_hospital {
            onset
        } else {
            onset + r.range(20, 600) * 60
        };
        set("onset_time", Value::Datetime(at(onset)));
        let arrival_moment = if r.chance(0.02) {
            Moment::DateOnly(day_of(arrival))
        } else {
            at(arrival)
        };
        set("arrival_time", Value::Datetime(arrival_moment));
        if r.chance(0.95) {
            set(
                "first_ward",
                Value::Code(
                    r.pick(&["stroke_unit", "stroke_unit", "stroke_unit", "icu", "other"])
                        .to_string(),
                ),
            );
        }
        if r.chance(0.7) {
            set("stroke_unit_care", Value::Bool(r.chance(0.8)));
        }
        if r.chance(0.97) {
            set(
                "swallow_screen",
                Value::Code(
                    r.pick(&["yes", "yes", "yes", "yes", "yes", "yes", "no", "unknown"])
                        .to_string(),
                ),
            );
        }
        if r.chance(0.9) {
            set("functional_assessment_7d", Value::Bool(r.chance(0.8)));
        }
        set(
            "atrial_fibrillation",
            Value::Code(r.pick(&["no", "no", "no", "known", "new"]).to_string()),
        );

        let ivt = diagnosis != "I61" && r.chance(0.22);
        set("ivt", Value::Bool(ivt));
        if ivt {
            let needle = arrival + r.range(-10, 90) * 60;
            set(
                "ivt_time",
                Value::Datetime(if r.chance(0.01) {
                    Moment::DateOnly(day_of(needle))
                } else {
                    at(needle)
                }),
            );
            let ivt_hospital = if r.chance(0.92) {
                hospital
            } else {
                r.pick(self.hospitals)
            };
            set("ivt_hospital", Value::Code(ivt_hospital.code.clone()));
        }
        let evt = diagnosis == "I63" && r.chance(0.09);
        set("evt", Value::Bool(evt));
        if evt {
            let centre = if hospital.evt_centre {
                hospital
            } else {
                *r.pick(&centres)
            };
            set("evt_hospital", Value::Code(centre.code.clone()));
            if hospital.evt_centre {
                set("evt_pathway", Value::Code("direct".to_string()));
                let groin = arrival + r.range(25, 180) * 60;
                set("groin_puncture_time", Value::Datetime(at(groin)));
            } else {
                set("evt_pathway", Value::Code("transfer".to_string()));
                let departure = arrival + r.range(30, 200) * 60;
                let centre_arrival = departure + r.range(30, 180) * 60;
                let groin = centre_arrival + r.range(10, 90) * 60;
                set(
                    "primary_departure_time",
                    Value::Datetime(if r.chance(0.02) {
                        Moment::DateOnly(day_of(departure))
                    } else {
                        at(departure)
                    }),
                );
                set("evt_centre_arrival_time", Value::Datetime(at(centre_arrival)));
                set("groin_puncture_time", Value::Datetime(at(groin)));
                if r.chance(0.5) {
                    // Registered by the EVT centre, from the primary hospital.
                    set("hospital", Value::Code(centre.code.clone()));
                    set("transferred_from", Value::Code(hospital.code.clone()));
                }
            }
            if r.chance(0.97) {
                set(
                    "tici_final",
                    Value::Code(r.pick(&["0", "1", "2a", "2b", "2b", "2c", "3", "3", "3"]).to_string()),
                );
            }
            if r.chance(0.9) {
                set("evt_sich", Value::Bool(r.chance(0.05)));
                set("ent", Value::Bool(r.chance(0.07)));
            }
        }
        let died = r.chance(0.08);
        let discharge = day_of(arrival + r.range(1, 30) * 86_400);
        set("discharge_date", Value::Date(discharge));
        if died {
            set("discharge_destination", Value::Code("died".to_string()));
            set("death_date", Value::Date(discharge));
        } else {
            set(
                "discharge_destination",
                Value::Code(
                    r.pick(&["home", "home", "home_with_help", "rehabilitation", "nursing_home"])
                        .to_string(),
                ),
            );
            set("dis_antiplatelet", Value::Bool(r.chance(0.85)));
            if r.chance(0.9) {
                set("dis_anticoagulant", Value::Bool(r.chance(0.3)));
            }
            set("dis_statin", Value::Bool(r.chance(0.8)));
            if r.chance(0.8) {
                let done = r.chance(0.85);
                set("fu_done", Value::Bool(done));
                if done && r.chance(0.95) {
                    set("mrs_3m", Value::Int(r.range(0, 7)));
                }
            }
        }
        record
    }
}

/// The columns the DuckDB comparison reads, in order.
const CSV_COLUMNS: [&str; 29] = [
    "hospital",
    "evt_hospital",
    "transferred_from",
    "arrival_date",
    "onset_date",
    "diagnosis",
    "stroke_location",
    "first_ward",
    "stroke_unit_care",
    "ivt",
    "ivt_hospital",
    "door_to_needle",
    "swallow_screen",
    "atrial_fibrillation",
    "discharge_destination",
    "dis_antiplatelet",
    "dis_anticoagulant",
    "dis_statin",
    "age",
    "functional_assessment_7d",
    "fu_done",
    "evt",
    "evt_pathway",
    "door_to_groin",
    "door_in_door_out",
    "tici_final",
    "evt_sich",
    "ent",
    "mrs_3m",
];

fn write_outputs(
    out: &Path,
    register: &Register,
    columns: &kvalreg_analytics::Columns,
    hospitals: &[HospitalRow],
    report: &kvalreg_analytics::Report,
    as_of: Date,
    times: &[f64],
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut csv = BufWriter::new(std::fs::File::create(out.join("registrations.csv"))?);
    writeln!(csv, "{}", CSV_COLUMNS.join(","))?;
    let source = |name: &str| -> Option<&Vector> {
        match name {
            "arrival_date" => columns.get(&register.period_variable),
            "onset_date" => columns.get("onset_time"),
            other => columns.get(other),
        }
    };
    let sources: Vec<Option<&Vector>> = CSV_COLUMNS.iter().map(|c| source(c)).collect();
    let mut line = String::new();
    for row in 0..columns.len() {
        line.clear();
        for (i, column) in sources.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match column.and_then(|c| c.value(row)) {
                None => {}
                Some(Value::Bool(b)) => line.push_str(if b { "true" } else { "false" }),
                Some(Value::Int(n)) => {
                    let _ = write!(line, "{n}");
                }
                Some(Value::Code(s) | Value::Text(s)) => line.push_str(&s),
                Some(Value::Date(d)) => line.push_str(&kvalreg_core::time::format_date(d)),
                Some(Value::Datetime(m)) => {
                    line.push_str(&kvalreg_core::time::format_date(kvalreg_core::time::oslo_date(&m)))
                }
                Some(Value::Unknown) => {}
            }
        }
        writeln!(csv, "{line}")?;
    }
    csv.flush()?;
    let mut units = BufWriter::new(std::fs::File::create(out.join("hospitals.csv"))?);
    writeln!(units, "code,health_trust,health_region")?;
    for h in hospitals {
        writeln!(units, "{},{},{}", h.code, h.trust, h.region)?;
    }
    units.flush()?;
    let report_json = serde_json::to_string(report).map_err(std::io::Error::other)?;
    std::fs::write(out.join("report.json"), report_json)?;
    let timing = serde_json::json!({
        "rows": columns.len(),
        "as_of": kvalreg_core::time::format_date(as_of),
        "engine_seconds_best": times.first(),
        "engine_seconds_median": times.get(times.len() / 2),
        "column_bytes": columns.memory_size(),
    });
    std::fs::write(out.join("timing.json"), timing.to_string())?;
    Ok(())
}
