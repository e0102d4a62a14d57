//! The indicator engine: each indicator of a register computed over the columns for every
//! hospital, health trust, health region and the nation, per period, with 95 % Wilson
//! intervals, quartiles, goal levels and low-N suppression (domain.md 4). The rules are
//! documented in docs/indicators.md.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::Array;
use arrow_buffer::BooleanBuffer;
use jiff::civil::Date;
use kvalreg_core::definition::{Expression, Indicator, IndicatorKind, REPORT_DATE, Register};
use kvalreg_core::expr::{self, Expr, ExprType};
use kvalreg_core::time::format_date;
use kvalreg_core::value::{Value, VarType};

use crate::chunks::Chunks;
use crate::civil;
use crate::columns::Columns;
use crate::eval::{Parameters, evaluate};
use crate::period::Granularity;
use crate::report::{IndicatorResult, Report, UnitLevel};
use crate::stats::{self, Z_95};
use crate::units::Units;
use crate::vector::{Vector, validity};

/// What to compute.
#[derive(Debug, Clone)]
pub struct Query {
    /// The report date: registrations whose period date is later are not counted, and
    /// indicator expressions see it as `report_date`.
    pub as_of: Date,
    pub granularity: Granularity,
    /// Only registrations for which this condition is TRUE are counted (e.g. an age band,
    /// sex or diagnosis chosen on a page). Check it with [`check_filter`].
    pub filter: Option<Expr>,
}

impl Query {
    pub fn new(as_of: Date, granularity: Granularity) -> Query {
        Query {
            as_of,
            granularity,
            filter: None,
        }
    }
}

/// Parses and type-checks a filter condition against the register's variables (entered,
/// derived, and `report_date`).
pub fn check_filter(register: &Register, text: &str) -> Result<Expr, String> {
    let parsed = expr::parse(text).map_err(|e| e.message)?;
    let types = |name: &str| {
        if name == REPORT_DATE {
            Some(VarType::Date)
        } else {
            register.type_of(name)
        }
    };
    match parsed.check(&types).map_err(|e| e.message)? {
        ExprType::Of(VarType::Bool) | ExprType::Null => Ok(parsed),
        ExprType::Of(other) => Err(format!(
            "the filter `{text}` must be a condition, but is {}",
            other.name()
        )),
    }
}

/// Computes every indicator of the register. Results come indicator by indicator (in
/// definition order); within one indicator hospitals, then trusts, then regions, then the
/// nation (in the order of `units`), each period ascending. A unit and period with no
/// registration in the denominator has no result.
pub fn compute(register: &Register, columns: &Columns, units: &Units, query: &Query) -> Report {
    compute_parts(register, &[columns], units, query)
}

/// As [`compute`], over the rows of every chunk: each chunk is evaluated on its own and the
/// counts (and median values) of each unit and period summed across chunks, so the report
/// is the one of the chunks joined.
pub fn compute_chunks(register: &Register, chunks: &Chunks, units: &Units, query: &Query) -> Report {
    compute_parts(register, &chunks.chunks().collect::<Vec<_>>(), units, query)
}

fn compute_parts(register: &Register, parts: &[&Columns], units: &Units, query: &Query) -> Report {
    let frame = Frame::new(register, parts, query);
    let parameters = Parameters::default().with(REPORT_DATE, Value::Date(query.as_of));
    let mut chunks: Vec<Chunk> = parts
        .iter()
        .zip(&frame.parts)
        .map(|(columns, part)| Chunk {
            columns,
            part,
            cache: Cache {
                masks: HashMap::new(),
                groups: HashMap::new(),
                from: HashMap::new(),
            },
        })
        .collect();
    let mut results = Vec::new();
    for indicator in &register.indicators {
        results.extend(indicator_results(indicator, &mut chunks, units, &frame, &parameters));
    }
    Report {
        register: register.id.clone(),
        as_of: format_date(query.as_of),
        results,
    }
}

/// What every indicator of one query shares: the periods, and per chunk which rows count
/// at all and each row's period.
struct Frame {
    granularity: Granularity,
    parts: Vec<Part>,
    first_period: i32,
    periods: usize,
}

/// The rows of one chunk as the frame sees them.
struct Part {
    /// Live, period date known, not after the report date, and the filter TRUE.
    counted: BooleanBuffer,
    /// Each row's period date (day number); meaningful where `counted`.
    days: Vec<i32>,
    /// Each row's period, as an offset from the frame's `first_period`.
    period: Vec<u32>,
}

/// One chunk while indicators are computed: its columns, counted rows and periods, and cache.
struct Chunk<'a> {
    columns: &'a Columns,
    part: &'a Part,
    cache: Cache,
}

impl Frame {
    fn new(register: &Register, parts: &[&Columns], query: &Query) -> Frame {
        let mut parts: Vec<Part> = parts
            .iter()
            .map(|columns| Part::new(register, columns, query))
            .collect();
        // Periods through a table of the days that occur, so the calendar is worked out
        // once per day rather than once per registration.
        let (first_day, last_day) = parts
            .iter()
            .flat_map(|part| part.counted.set_indices().map(|i| part.days[i]))
            .fold((i32::MAX, i32::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
        if first_day > last_day {
            return Frame {
                granularity: query.granularity,
                parts,
                first_period: 0,
                periods: 0,
            };
        }
        let first_period = query.granularity.period_of(first_day);
        let last_period = query.granularity.period_of(last_day);
        let table: Vec<u32> = (first_day..=last_day)
            .map(|d| u32::try_from(query.granularity.period_of(d) - first_period).unwrap_or(0))
            .collect();
        for part in &mut parts {
            part.period = part
                .days
                .iter()
                .map(|&d| {
                    usize::try_from(d.wrapping_sub(first_day))
                        .ok()
                        .and_then(|i| table.get(i))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
        }
        Frame {
            granularity: query.granularity,
            parts,
            first_period,
            periods: usize::try_from(last_period - first_period).unwrap_or(0) + 1,
        }
    }

    fn label(&self, offset: usize) -> String {
        self.granularity
            .label(self.first_period + i32::try_from(offset).unwrap_or(0))
    }
}

impl Part {
    /// The counted rows and period dates of one chunk (periods are filled in by the frame).
    fn new(register: &Register, columns: &Columns, query: &Query) -> Part {
        let len = columns.len();
        let dates = match columns.get(&register.period_variable) {
            Some(Vector::Date(dates)) => Some(dates.clone()),
            Some(Vector::Moment(moments)) => Some(moments.date.clone()),
            _ => None,
        };
        let as_of = civil::day_number(query.as_of);
        let (days, known) = match &dates {
            Some(dates) => (dates.values().to_vec(), validity(dates.nulls(), len)),
            None => (vec![0; len], BooleanBuffer::new_unset(len)),
        };
        let mut counted = &known & &BooleanBuffer::collect_bool(len, |i| days[i] <= as_of);
        if columns.dead_count() > 0 {
            counted = &counted & &columns.live();
        }
        if let Some(filter) = &query.filter {
            let parameters = Parameters::default().with(REPORT_DATE, Value::Date(query.as_of));
            counted = &counted & &evaluate(filter, columns, &parameters).true_mask();
        }
        Part {
            counted,
            days,
            period: vec![0; len],
        }
    }
}

/// What indicators often share, worked out once: denominators and unit groups by
/// expression text, and the counted rows from each `valid_from`.
struct Cache {
    masks: HashMap<String, BooleanBuffer>,
    groups: HashMap<String, Arc<Vec<u32>>>,
    from: HashMap<i32, BooleanBuffer>,
}

impl Cache {
    fn mask(&mut self, expr: &Expr, text: &str, columns: &Columns, parameters: &Parameters) -> BooleanBuffer {
        self.masks
            .entry(text.to_string())
            .or_insert_with(|| evaluate(expr, columns, parameters).true_mask())
            .clone()
    }

    /// The counted rows whose period date is on or after `valid_from`.
    fn counted_from(&mut self, part: &Part, valid_from: i32) -> BooleanBuffer {
        self.from
            .entry(valid_from)
            .or_insert_with(|| {
                &part.counted & &BooleanBuffer::collect_bool(part.days.len(), |i| part.days[i] >= valid_from)
            })
            .clone()
    }

    /// Each row's cell: its unit's position in `units` (or, when the unit is NULL or not a
    /// known hospital, the last slot, which counts for the nation only), times the number
    /// of periods, plus its period.
    fn groups(
        &mut self,
        unit: &Expression,
        columns: &Columns,
        parameters: &Parameters,
        units: &Units,
        periods: usize,
        part: &Part,
    ) -> Arc<Vec<u32>> {
        let unknown = u32::try_from(units.hospitals().len()).unwrap_or(u32::MAX);
        let periods = u32::try_from(periods).unwrap_or(u32::MAX);
        let cell = |slot: u32, row: usize| slot.saturating_mul(periods).saturating_add(part.period[row]);
        self.groups
            .entry(unit.text.clone())
            .or_insert_with(|| {
                let groups = match evaluate(&unit.expr, columns, parameters) {
                    Vector::Str(strings) => {
                        let slot_of_key: Vec<u32> = strings
                            .values
                            .values()
                            .iter()
                            .map(|code| {
                                units
                                    .position(code)
                                    .and_then(|p| u32::try_from(p).ok())
                                    .unwrap_or(unknown)
                            })
                            .collect();
                        let keys = strings.keys.values();
                        (0..keys.len())
                            .map(|row| {
                                let slot = if strings.keys.is_valid(row) {
                                    slot_of_key.get(keys[row] as usize).copied().unwrap_or(unknown)
                                } else {
                                    unknown
                                };
                                cell(slot, row)
                            })
                            .collect()
                    }
                    other => (0..other.len()).map(|row| cell(unknown, row)).collect(),
                };
                Arc::new(groups)
            })
            .clone()
    }
}

/// What is counted for one unit and period.
trait Cell: Clone + Default {
    fn absorb(&mut self, other: &Self);
    fn denominator(&self) -> u64;
}

/// Numerator and denominator of a proportion.
#[derive(Clone, Copy, Default)]
struct Counts {
    numerator: u64,
    denominator: u64,
}

impl Cell for Counts {
    fn absorb(&mut self, other: &Self) {
        self.numerator += other.numerator;
        self.denominator += other.denominator;
    }

    fn denominator(&self) -> u64 {
        self.denominator
    }
}

/// The values of a median.
#[derive(Clone, Default)]
struct Values(Vec<i64>);

impl Cell for Values {
    fn absorb(&mut self, other: &Self) {
        self.0.extend_from_slice(&other.0);
    }

    fn denominator(&self) -> u64 {
        self.0.len() as u64
    }
}

fn indicator_results(
    indicator: &Indicator,
    chunks: &mut [Chunk],
    units: &Units,
    frame: &Frame,
    parameters: &Parameters,
) -> Vec<IndicatorResult> {
    let cells = units.hospitals().len().saturating_add(1).saturating_mul(frame.periods);
    match &indicator.kind {
        IndicatorKind::Proportion { numerator } => {
            let mut cells = vec![Counts::default(); cells];
            for chunk in chunks {
                let (rows, groups) = denominator_rows(indicator, chunk, units, frame, parameters);
                let numerator = evaluate(&numerator.expr, chunk.columns, parameters).true_mask();
                for row in rows.set_indices() {
                    if let Some(cell) = cells.get_mut(groups[row] as usize) {
                        cell.denominator += 1;
                        cell.numerator += u64::from(numerator.value(row));
                    }
                }
            }
            emit(indicator, units, frame, &cells, proportion)
        }
        IndicatorKind::Median { value } => {
            let mut cells = vec![Values::default(); cells];
            for chunk in chunks {
                let (rows, groups) = denominator_rows(indicator, chunk, units, frame, parameters);
                if let Vector::Int(values) = evaluate(&value.expr, chunk.columns, parameters) {
                    let rows = &rows & &validity(values.nulls(), chunk.columns.len());
                    for row in rows.set_indices() {
                        if let Some(cell) = cells.get_mut(groups[row] as usize) {
                            cell.0.push(values.value(row));
                        }
                    }
                }
            }
            emit(indicator, units, frame, &cells, median)
        }
    }
}

/// A chunk's rows in an indicator's denominator (counted, from its `valid_from`), and each
/// row's cell.
fn denominator_rows(
    indicator: &Indicator,
    chunk: &mut Chunk,
    units: &Units,
    frame: &Frame,
    parameters: &Parameters,
) -> (BooleanBuffer, Arc<Vec<u32>>) {
    let counted = chunk
        .cache
        .counted_from(chunk.part, civil::day_number(indicator.valid_from));
    let denominator = chunk.cache.mask(
        &indicator.denominator.expr,
        &indicator.denominator.text,
        chunk.columns,
        parameters,
    );
    let groups = chunk.cache.groups(
        &indicator.unit,
        chunk.columns,
        parameters,
        units,
        frame.periods,
        chunk.part,
    );
    (&counted & &denominator, groups)
}

/// The figures of one cell: numerator, value, interval or quartiles, level.
struct Figures {
    numerator: Option<u64>,
    value: Option<f64>,
    ci: Option<(f64, f64)>,
    quartiles: Option<(f64, f64)>,
}

fn proportion(cell: &Counts) -> Figures {
    let value = (cell.denominator > 0).then(|| cell.numerator as f64 / cell.denominator as f64);
    Figures {
        numerator: Some(cell.numerator),
        value,
        ci: stats::wilson(cell.numerator, cell.denominator, Z_95),
        quartiles: None,
    }
}

fn median(cell: &Values) -> Figures {
    let mut sorted = cell.0.clone();
    sorted.sort_unstable();
    let quartiles = stats::quartiles(&sorted);
    Figures {
        numerator: None,
        value: quartiles.map(|q| q.median),
        ci: None,
        quartiles: quartiles.map(|q| (q.q1, q.q3)),
    }
}

/// Hospital cells rolled up to trusts, regions and the nation, each turned into results.
fn emit<C: Cell>(
    indicator: &Indicator,
    units: &Units,
    frame: &Frame,
    hospital_cells: &[C],
    figures: impl Fn(&C) -> Figures,
) -> Vec<IndicatorResult> {
    let periods = frame.periods;
    let hospitals = units.hospitals().len();
    let trusts = roll_up(hospital_cells, periods, units.trusts().len(), |h| units.trust_of(h));
    let regions = roll_up(hospital_cells, periods, units.regions().len(), |h| units.region_of(h));
    let nation = roll_up(hospital_cells, periods, 1, |_| Some(0));
    let levels: [(UnitLevel, Vec<&str>, &[C]); 4] = [
        (
            UnitLevel::Hospital,
            units.hospitals().iter().map(|h| h.code.as_str()).collect(),
            &hospital_cells[..hospitals * periods],
        ),
        (
            UnitLevel::Trust,
            units.trusts().iter().map(String::as_str).collect(),
            &trusts,
        ),
        (
            UnitLevel::Region,
            units.regions().iter().map(String::as_str).collect(),
            &regions,
        ),
        (UnitLevel::Nation, vec![units.nation()], &nation),
    ];
    let mut results = Vec::new();
    for (level_of_unit, names, cells) in levels {
        for (u, name) in names.iter().enumerate() {
            for p in 0..periods {
                let Some(cell) = cells.get(u * periods + p) else {
                    continue;
                };
                let denominator = cell.denominator();
                if denominator == 0 {
                    continue;
                }
                let low_n = denominator < indicator.minimum_denominator;
                let f = if low_n {
                    Figures {
                        numerator: None,
                        value: None,
                        ci: None,
                        quartiles: None,
                    }
                } else {
                    figures(cell)
                };
                results.push(IndicatorResult {
                    indicator: indicator.id.clone(),
                    level_of_unit,
                    unit: (*name).to_string(),
                    period: frame.label(p),
                    numerator: f.numerator,
                    denominator,
                    value: f.value,
                    ci_low: f.ci.map(|c| c.0),
                    ci_high: f.ci.map(|c| c.1),
                    q1: f.quartiles.map(|q| q.0),
                    q3: f.quartiles.map(|q| q.1),
                    level: indicator
                        .levels
                        .as_ref()
                        .zip(f.value)
                        .map(|(levels, v)| levels.level(v)),
                    low_n,
                });
            }
        }
    }
    results
}

/// Cells of `targets` units, each the sum of the slots `target_of` assigns to it. Slots
/// are hospitals and, last, the unknown unit (which only the nation takes).
fn roll_up<C: Cell>(cells: &[C], periods: usize, targets: usize, target_of: impl Fn(usize) -> Option<usize>) -> Vec<C> {
    let mut out = vec![C::default(); targets * periods];
    if periods == 0 {
        return out;
    }
    for (slot, row) in cells.chunks(periods).enumerate() {
        let Some(target) = target_of(slot) else { continue };
        for (p, cell) in row.iter().enumerate() {
            if let Some(into) = out.get_mut(target * periods + p) {
                into.absorb(cell);
            }
        }
    }
    out
}
