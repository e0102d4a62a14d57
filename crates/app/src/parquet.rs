//! Parquet files of register data (the export and research extracts): one typed Arrow column
//! per variable, filled a batch of rows at a time and handed to the Parquet writer, which
//! writes row groups, so memory holds one batch and one row group, never the whole file.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use kvalreg_analytics::civil::day_number;
use kvalreg_core::time::parse_date;
use kvalreg_core::value::VarType;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value as Json;

use crate::AppError;
use crate::cells::json_cell;

/// Rows gathered in the column builders before they become one Arrow batch.
const BATCH_ROWS: usize = 8_192;

/// Rows of one Parquet row group (the writer holds one row group, encoded, until it is full).
const ROW_GROUP_ROWS: usize = 65_536;

/// The Parquet type of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// INT64.
    Int,
    /// BOOLEAN.
    Bool,
    /// DATE (days since 1970-01-01).
    Date,
    /// UTF-8 text.
    Text,
}

impl ColumnType {
    /// The column type of a register variable: an int, bool or date variable keeps its type;
    /// code and text are text, and so is a datetime, whose value is the date alone when the
    /// clock time is unknown, and any variable that allows the value `"unknown"`.
    pub fn of_variable(var_type: VarType, allow_unknown: bool) -> ColumnType {
        match var_type {
            _ if allow_unknown => ColumnType::Text,
            VarType::Int => ColumnType::Int,
            VarType::Bool => ColumnType::Bool,
            VarType::Date => ColumnType::Date,
            VarType::Datetime | VarType::Code | VarType::Text => ColumnType::Text,
        }
    }

    fn arrow(self) -> DataType {
        match self {
            ColumnType::Int => DataType::Int64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Date => DataType::Date32,
            ColumnType::Text => DataType::Utf8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "an integer",
            ColumnType::Bool => "true or false",
            ColumnType::Date => "a date YYYY-MM-DD",
            ColumnType::Text => "text",
        }
    }
}

enum Builder {
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Text(StringBuilder),
}

impl Builder {
    fn new(column: ColumnType) -> Builder {
        match column {
            ColumnType::Int => Builder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Bool => Builder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => Builder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Text => Builder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8)),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }

    /// Appends a non-empty cell as the column's type; false when it is not of that type.
    fn append_text(&mut self, cell: &str) -> bool {
        match self {
            Builder::Int(b) => match cell.parse() {
                Ok(n) => b.append_value(n),
                Err(_) => return false,
            },
            Builder::Bool(b) => match cell {
                "true" => b.append_value(true),
                "false" => b.append_value(false),
                _ => return false,
            },
            Builder::Date(b) => match parse_date(cell) {
                Ok(date) => b.append_value(day_number(date)),
                Err(_) => return false,
            },
            Builder::Text(b) => b.append_value(cell),
        }
        true
    }

    /// Appends a canonical JSON value as the column's type; false when it is not of that type.
    fn append_json(&mut self, value: &Json) -> bool {
        match (self, value) {
            (Builder::Int(b), Json::Number(n)) => n.as_i64().map(|n| b.append_value(n)).is_some(),
            (Builder::Bool(b), Json::Bool(v)) => {
                b.append_value(*v);
                true
            }
            (Builder::Text(b), Json::String(s)) => {
                b.append_value(s);
                true
            }
            (Builder::Text(b), other) => {
                b.append_value(json_cell(other));
                true
            }
            (builder, Json::String(s)) => builder.append_text(s),
            _ => false,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// A Parquet file being written row by row: set each column of a row (a column left unset
/// is null), then [`ParquetTable::end_row`]; [`ParquetTable::finish`] writes the footer.
pub struct ParquetTable<W: Write + Send> {
    names: Vec<String>,
    types: Vec<ColumnType>,
    builders: Vec<Builder>,
    /// Whether each column has its value for the row being built.
    set: Vec<bool>,
    schema: SchemaRef,
    writer: ArrowWriter<W>,
    rows: usize,
}

impl<W: Write + Send> ParquetTable<W> {
    /// Starts a file with these columns (every one nullable), Snappy-compressed.
    pub fn new(out: W, columns: &[(String, ColumnType)]) -> Result<Self, AppError> {
        let schema: SchemaRef = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, column)| Field::new(name, column.arrow(), true))
                .collect::<Vec<_>>(),
        ));
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("kvalreg {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties)).map_err(parquet_error)?;
        Ok(ParquetTable {
            names: columns.iter().map(|(name, _)| name.clone()).collect(),
            types: columns.iter().map(|(_, column)| *column).collect(),
            builders: columns.iter().map(|(_, column)| Builder::new(*column)).collect(),
            set: vec![false; columns.len()],
            schema,
            writer,
            rows: 0,
        })
    }

    /// Sets column `index` of the current row from a cell as CSV writes it (empty: null).
    pub fn set_text(&mut self, index: usize, cell: &str) -> Result<(), AppError> {
        if cell.is_empty() {
            return Ok(());
        }
        if !self.builders[index].append_text(cell) {
            return Err(self.wrong_type(index, cell));
        }
        self.set[index] = true;
        Ok(())
    }

    /// Sets column `index` of the current row from a canonical JSON value (null: null).
    pub fn set_json(&mut self, index: usize, value: &Json) -> Result<(), AppError> {
        if value.is_null() {
            return Ok(());
        }
        if !self.builders[index].append_json(value) {
            return Err(self.wrong_type(index, &json_cell(value)));
        }
        self.set[index] = true;
        Ok(())
    }

    /// Ends the current row: every column not set is null. A full batch goes to the writer.
    pub fn end_row(&mut self) -> Result<(), AppError> {
        for (builder, set) in self.builders.iter_mut().zip(&mut self.set) {
            if !*set {
                builder.append_null();
            }
            *set = false;
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Writes the last rows and the footer; gives back the output.
    pub fn finish(mut self) -> Result<W, AppError> {
        if self.rows > 0 {
            self.write_batch()?;
        }
        self.writer.into_inner().map_err(parquet_error)
    }

    fn write_batch(&mut self) -> Result<(), AppError> {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| AppError::Format(format!("cannot make a Parquet row batch: {e}")))?;
        self.writer.write(&batch).map_err(parquet_error)?;
        self.rows = 0;
        Ok(())
    }

    fn wrong_type(&self, index: usize, cell: &str) -> AppError {
        AppError::Format(format!(
            "cannot write Parquet: the value `{cell}` of column {} is not {}",
            self.names[index],
            self.types[index].name()
        ))
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> AppError {
    match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => AppError::Io(*io),
            Err(other) => AppError::Format(format!("cannot write Parquet: {other}")),
        },
        other => AppError::Format(format!("cannot write Parquet: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_of_another_type_is_refused_naming_the_column() {
        let columns = [
            ("mrs_discharge".to_owned(), ColumnType::Int),
            ("discharge_date".to_owned(), ColumnType::Date),
        ];
        let mut table = ParquetTable::new(Vec::new(), &columns).expect("start");
        let refused = table.set_text(0, "five").expect_err("not an integer");
        assert_eq!(
            refused.to_string(),
            "cannot write Parquet: the value `five` of column mrs_discharge is not an integer"
        );
        let refused = table.set_json(1, &Json::from(3)).expect_err("not a date");
        assert!(
            refused.to_string().contains("column discharge_date is not a date"),
            "{refused}"
        );
        table.set_json(1, &Json::from("2024-03-31")).expect("a date");
        table.end_row().expect("row");
        let bytes = table.finish().expect("footer");
        assert_eq!(&bytes[..4], b"PAR1");
        assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    }
}
