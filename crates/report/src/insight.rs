//! The patient-insight report as PDF (in Norwegian bokmål, as letters to persons go out):
//! per register the person's registrations with their values and every recorded access,
//! for register staff to send or the person to keep.

use kvalreg_app::insight::Insight;

use crate::layout::{Align, Cell, Column, Flow, INK};
use crate::pdf::Font;

/// The PDF of one person's insight report, made `at` (shown on the first page).
pub fn insight_pdf(insight: &Insight, at: jiff::Timestamp) -> Vec<u8> {
    let mut flow = Flow::new("Innsynsrapport");
    flow.heading("Innsynsrapport", 18.0, 60.0);
    flow.paragraph(
        &format!(
            "Dette er det registrene har lagret om deg, og hver registrerte tilgang til det: hvem, hva, ved hvilket sykehus, når og hvorfor. Laget {}.",
            at.strftime("%d.%m.%Y %H:%M UTC")
        ),
        Font::Helvetica,
        10.0,
        INK,
    );
    for reservation in &insight.reservations {
        flow.paragraph(
            &format!(
                "Du har reservert deg mot registeret {} fra {}.",
                reservation.register,
                reservation.at.strftime("%d.%m.%Y")
            ),
            Font::Helvetica,
            10.0,
            INK,
        );
    }
    let width = Flow::width();
    for (_, title, held) in &insight.registers {
        flow.gap(10.0);
        flow.heading(title.get(kvalreg_core::messages::Lang::Nb), 14.0, 80.0);
        if held.is_empty() {
            flow.paragraph(
                "Registeret har ingen registreringer av deg.",
                Font::Helvetica,
                10.0,
                INK,
            );
        }
        for item in held {
            let r = &item.registration;
            flow.heading(
                &format!(
                    "Registrering ved {} ({})",
                    r.hospital,
                    kvalreg_app::status_name(r.status)
                ),
                11.0,
                60.0,
            );
            let values: Vec<Vec<Cell>> = r
                .values
                .iter()
                .map(|(name, value)| {
                    let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    vec![Cell::new(name.as_str()), Cell::new(shown)]
                })
                .collect();
            let value_columns = [
                Column {
                    title: "Opplysning",
                    width: width * 0.4,
                    align: Align::Left,
                },
                Column {
                    title: "Verdi",
                    width: width * 0.6,
                    align: Align::Left,
                },
            ];
            flow.table(&value_columns, &values);
            flow.gap(6.0);
            let accesses: Vec<Vec<Cell>> = item
                .accesses
                .iter()
                .map(|a| {
                    vec![
                        Cell::new(a.at.strftime("%d.%m.%Y %H:%M").to_string()),
                        Cell::new(a.actor.as_str()),
                        Cell::new(insight.roles_of(&a.actor)),
                        Cell::new(a.action.as_str()),
                        Cell::new(a.hospital.clone().unwrap_or_default()),
                        Cell::new(kvalreg_app::insight::purpose_of(a)),
                    ]
                })
                .collect();
            let access_columns = [
                Column {
                    title: "Når (UTC)",
                    width: width * 0.17,
                    align: Align::Left,
                },
                Column {
                    title: "Hvem",
                    width: width * 0.2,
                    align: Align::Left,
                },
                Column {
                    title: "Rolle",
                    width: width * 0.14,
                    align: Align::Left,
                },
                Column {
                    title: "Hva",
                    width: width * 0.19,
                    align: Align::Left,
                },
                Column {
                    title: "Sykehus",
                    width: width * 0.12,
                    align: Align::Left,
                },
                Column {
                    title: "Formål",
                    width: width * 0.18,
                    align: Align::Left,
                },
            ];
            flow.table(&access_columns, &accesses);
        }
    }
    flow.finish().to_bytes()
}
