//! What a synthetic stroke registration looks like: case mix, times from onset to
//! discharge in Europe/Oslo, the thrombectomy pathways and the 3-month follow-up.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan as _};
use kvalreg_core::time::oslo_date;
use kvalreg_core::value::Moment;
use kvalreg_store::{Hospital, Status};
use rand::RngExt;
use serde_json::{Map, Value as Json};

use super::draw::{Doc, Generator};
use super::{ArrivalWindow, after};

/// What is decided first about a stroke, before the details are drawn.
struct Case<'a> {
    hospital: &'a Hospital,
    arrival: Timestamp,
    onset: Timestamp,
    diagnosis: &'static str,
    location: &'static str,
    ivt: bool,
    evt: bool,
}

impl Generator {
    pub(super) fn registration(
        &mut self,
        hospital: &Hospital,
        hospitals: &[Hospital],
        window: &ArrivalWindow,
    ) -> Option<(Map<String, Json>, Status)> {
        let arrival = after(window.start, self.between(0..=window.minutes - 1));
        let diagnosis = self.pick(&[("I63", 85), ("I61", 12), ("I64", 3)]);
        let ivt = diagnosis == "I63" && self.chance(0.20);
        let evt = diagnosis == "I63" && self.chance(0.09);
        let location = self.pick(&[
            ("outside_hospital", 94),
            ("in_hospital", 5),
            ("in_hospital_procedure", 1),
        ]);
        let onset = if location == "outside_hospital" {
            let onset_to_door = if ivt || evt {
                self.between(35..=200)
            } else {
                self.normal(420.0, 400.0).clamp(30.0, 4000.0) as i64
            };
            after(arrival, -onset_to_door)
        } else {
            arrival
        };
        let case = Case {
            hospital,
            arrival,
            onset,
            diagnosis,
            location,
            ivt,
            evt,
        };
        let onset_day = oslo_date(&Moment::At(onset));
        let age = self.normal(75.0, 12.0).round().clamp(18.0, 101.0) as i64;
        let (national_id, male) = self.person(age, onset_day)?;

        let mut doc = Doc::default();
        doc.text("national_id", &national_id);
        doc.text("hospital", &hospital.code);
        doc.text("sex", if male { "male" } else { "female" });
        self.prestroke(&mut doc, age);
        self.acute(&mut doc, &case, hospitals);

        let arrival_day = oslo_date(&Moment::At(arrival));
        let length_of_stay = self.normal(6.0, 5.0).round().clamp(1.0, 40.0) as i64;
        let discharge_day = arrival_day.checked_add(length_of_stay.days()).ok()?;
        let still_admitted = discharge_day >= self.today;
        let died = self.chance(0.05);
        if !still_admitted {
            self.discharge(&mut doc, diagnosis, died, discharge_day);
            let follow_up_due = onset_day.checked_add(90.days()).is_ok_and(|due| due <= self.today);
            if follow_up_due && !died {
                self.follow_up(&mut doc, onset_day);
            }
        }
        let status = if still_admitted || self.chance(0.10) {
            if !still_admitted && self.chance(0.5) {
                doc.remove(&["discharge_destination", "mrs_discharge", "death_date"]);
            }
            Status::Draft
        } else {
            Status::Complete
        };
        Some((doc.0, status))
    }

    /// The acute phase: diagnosis, times, imaging, reperfusion treatment and the stay.
    fn acute(&mut self, doc: &mut Doc, case: &Case<'_>, hospitals: &[Hospital]) {
        let outside = case.location == "outside_hospital";
        let treated = case.ivt || case.evt;
        doc.text("diagnosis", case.diagnosis);
        let imaging_modality = if case.diagnosis == "I64" {
            "none"
        } else {
            self.pick(&[("ct", 85), ("mr", 15)])
        };
        let positive_imaging = imaging_modality != "none" && (case.diagnosis == "I61" || self.chance(0.8));
        doc.text("inclusion_criterion", if positive_imaging { "1" } else { "2" });
        if outside && !treated && self.chance(0.07) {
            doc.date_of_time("onset_time", case.onset);
        } else {
            doc.time("onset_time", case.onset);
        }
        if outside {
            doc.flag("wake_up_stroke", self.chance(0.15));
        }
        doc.text("stroke_location", case.location);
        doc.time("arrival_time", case.arrival);
        if outside {
            let ambulance = self.chance(0.82);
            doc.flag("ambulance_alerted", ambulance);
            doc.flag("prehospital_alarm", ambulance && (treated || self.chance(0.35)));
        }
        let first_ward = self.pick(&[("stroke_unit", 85), ("icu", 5), ("other", 10)]);
        doc.text("first_ward", first_ward);
        if self.chance(0.06) {
            doc.unknown("nihss_admission");
        } else {
            let nihss = if treated {
                self.normal(12.0, 6.0)
            } else {
                self.normal(4.0, 4.0)
            };
            doc.int("nihss_admission", nihss.round().clamp(0.0, 42.0) as i64);
        }

        let door_to_needle = self.between(20..=90);
        doc.text("imaging_modality", imaging_modality);
        if imaging_modality != "none" {
            let door_to_imaging = if case.ivt {
                self.between(5..=door_to_needle - 5)
            } else {
                self.between(10..=120)
            };
            let imaging = after(case.arrival, door_to_imaging);
            if !treated && self.chance(0.04) {
                doc.date_of_time("imaging_time", imaging);
            } else {
                doc.time("imaging_time", imaging);
            }
            let lvo = if case.evt {
                self.pick(&[("m1", 50), ("ica_t", 15), ("m2", 20), ("basilar", 8), ("ica", 7)])
            } else if case.diagnosis == "I63" {
                self.pick(&[("none", 80), ("m2", 10), ("m1", 4), ("other", 6)])
            } else {
                "none"
            };
            doc.text("lvo_site", lvo);
        }

        let assessed = treated || self.chance(0.85);
        doc.flag("reperfusion_assessed", assessed);
        if assessed && !treated {
            let reason = self.pick(&[
                ("no_indication", 45),
                ("time_window", 35),
                ("contraindication", 17),
                ("declined", 3),
            ]);
            doc.text("no_reperfusion_reason", reason);
        }
        doc.flag("ivt", case.ivt);
        if case.ivt {
            doc.text("ivt_drug", self.pick(&[("tenecteplase", 60), ("alteplase", 40)]));
            doc.time("ivt_time", after(case.arrival, door_to_needle));
            doc.text("ivt_hospital", &case.hospital.code);
            doc.flag("sich", self.chance(0.03));
        }
        if treated {
            let nihss_24h = self.normal(7.0, 6.0).round().clamp(0.0, 42.0) as i64;
            doc.int("nihss_24h", nihss_24h);
        }
        doc.flag("evt", case.evt);
        if case.evt {
            self.evt_module(
                doc,
                case.hospital,
                hospitals,
                case.arrival,
                if case.ivt { door_to_needle } else { 0 },
            );
        }
        doc.text("swallow_screen", self.pick(&[("yes", 85), ("no", 10), ("unknown", 5)]));
        doc.flag("mobilised_48h", self.chance(0.8));
        doc.flag("functional_assessment_7d", self.chance(0.75));
        doc.flag("stroke_unit_care", first_ward == "stroke_unit" || self.chance(0.5));
    }

    fn prestroke(&mut self, doc: &mut Doc, age: i64) {
        let housing = if age > 85 {
            self.pick(&[
                ("own_home", 45),
                ("own_home_with_help", 30),
                ("supported_housing", 10),
                ("nursing_home", 15),
            ])
        } else {
            self.pick(&[
                ("own_home", 80),
                ("own_home_with_help", 12),
                ("supported_housing", 5),
                ("nursing_home", 3),
            ])
        };
        doc.text("prestroke_housing", housing);
        let living = if housing == "nursing_home" {
            "institution"
        } else {
            self.pick(&[("alone", 40), ("with_someone", 60)])
        };
        doc.text("prestroke_living", living);
        let mrs = if housing == "nursing_home" {
            self.between(3..=5)
        } else {
            self.pick_mrs()
        };
        doc.int("prestroke_mrs", mrs);
        doc.flag("prior_stroke", self.chance(0.2));
        doc.flag("prior_tia", self.chance(0.08));
        doc.flag("prior_mi", self.chance(0.12));
        let af = self.pick(&[("no", 70), ("known", 20), ("new", 10)]);
        doc.text("atrial_fibrillation", af);
        doc.flag("diabetes", self.chance(0.2));
        doc.text("smoking", self.pick(&[("never", 50), ("current", 18), ("former", 32)]));
        doc.flag("pre_antiplatelet", self.chance(0.35));
        let anticoagulant = if af == "known" {
            self.pick(&[("doac", 70), ("warfarin", 10), ("none", 20)])
        } else {
            self.pick(&[("none", 95), ("doac", 4), ("warfarin", 1)])
        };
        doc.text("pre_anticoagulant", anticoagulant);
        doc.flag("pre_statin", self.chance(0.35));
        doc.flag("pre_bp_drug", self.chance(0.55));
    }

    fn pick_mrs(&mut self) -> i64 {
        match self.pick(&[("0", 45), ("1", 20), ("2", 15), ("3", 12), ("4", 6), ("5", 2)]) {
            "0" => 0,
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => 5,
        }
    }

    /// The thrombectomy module: directly at an EVT centre, or transferred from a primary
    /// hospital to an EVT centre of the same health region.
    fn evt_module(
        &mut self,
        doc: &mut Doc,
        hospital: &Hospital,
        hospitals: &[Hospital],
        arrival: Timestamp,
        door_to_needle: i64,
    ) {
        let regional: Vec<&Hospital> = hospitals
            .iter()
            .filter(|h| h.evt_centre && h.health_region == hospital.health_region)
            .collect();
        let centres: Vec<&Hospital> = if regional.is_empty() {
            hospitals.iter().filter(|h| h.evt_centre).collect()
        } else {
            regional
        };
        let (pathway, centre) = if hospital.evt_centre || centres.is_empty() {
            ("direct", hospital)
        } else {
            ("transfer", centres[self.rng.random_range(0..centres.len())])
        };
        doc.text("evt_hospital", &centre.code);
        doc.text("evt_pathway", pathway);
        let angio_arrival = if pathway == "transfer" {
            let departure = after(arrival, door_to_needle.max(20) + self.between(15..=120));
            let centre_arrival = after(departure, self.between(20..=150));
            doc.time("primary_departure_time", departure);
            doc.time("evt_centre_arrival_time", centre_arrival);
            after(centre_arrival, self.between(5..=40))
        } else {
            after(arrival, door_to_needle.max(15) + self.between(10..=70))
        };
        let groin = after(angio_arrival, self.between(5..=20));
        doc.time("angio_arrival_time", angio_arrival);
        doc.time("groin_puncture_time", groin);
        doc.time("reperfusion_time", after(groin, self.between(15..=90)));
        doc.text(
            "anaesthesia",
            self.pick(&[("local", 30), ("sedation", 45), ("general", 25)]),
        );
        doc.text(
            "technique",
            self.pick(&[
                ("combined", 45),
                ("aspiration", 30),
                ("stent_retriever", 22),
                ("other", 3),
            ]),
        );
        doc.int("passes", self.between(1..=4));
        doc.text(
            "occlusion_site",
            self.pick(&[
                ("m1", 50),
                ("ica_t", 13),
                ("m2", 20),
                ("basilar", 8),
                ("ica", 7),
                ("other", 2),
            ]),
        );
        doc.text(
            "tici_final",
            self.pick(&[("3", 30), ("2c", 15), ("2b", 35), ("2a", 10), ("1", 5), ("0", 5)]),
        );
        doc.flag("ent", self.chance(0.05));
        doc.flag("evt_sich", self.chance(0.04));
        doc.flag("perforation", self.chance(0.01));
        doc.flag("dissection", self.chance(0.01));
        doc.flag("access_complication", self.chance(0.02));
        let pre = self.normal(14.0, 5.0).round().clamp(0.0, 42.0) as i64;
        doc.int("nihss_pre_evt", pre);
        let post = self.normal(7.0, 6.0).round().clamp(0.0, 42.0) as i64;
        doc.int("nihss_post_evt_24h", post);
    }

    fn discharge(&mut self, doc: &mut Doc, diagnosis: &str, died: bool, day: Date) {
        doc.date("discharge_date", day);
        if died {
            doc.text("discharge_destination", "died");
            doc.date("death_date", day);
            return;
        }
        let destination = self.pick(&[
            ("home", 45),
            ("home_with_help", 15),
            ("rehabilitation", 15),
            ("nursing_home", 10),
            ("other_hospital", 6),
            ("other_ward", 4),
            ("supported_housing", 3),
            ("other", 2),
        ]);
        doc.text("discharge_destination", destination);
        doc.int("mrs_discharge", self.between(0..=5));
        let infarction = diagnosis == "I63";
        doc.flag("dis_antiplatelet", infarction && self.chance(0.85));
        let af = doc
            .0
            .get("atrial_fibrillation")
            .and_then(Json::as_str)
            .is_some_and(|af| af != "no");
        doc.flag("dis_anticoagulant", infarction && af && self.chance(0.8));
        doc.flag("dis_statin", infarction && self.chance(0.82));
        doc.flag("dis_bp_drug", self.chance(0.6));
    }

    fn follow_up(&mut self, doc: &mut Doc, onset_day: Date) {
        let Ok(fu_day) = onset_day.checked_add(self.between(85..=110).days()) else {
            return;
        };
        if fu_day > self.today || !self.chance(0.7) {
            doc.flag("fu_done", false);
            doc.text(
                "fu_not_done_reason",
                self.pick(&[("unreachable", 50), ("declined", 30), ("other", 20)]),
            );
            return;
        }
        doc.flag("fu_done", true);
        doc.text(
            "fu_method",
            self.pick(&[("phone", 55), ("letter", 20), ("clinic", 15), ("web", 10)]),
        );
        doc.date("fu_date", fu_day);
        doc.int("mrs_3m", self.between(0..=5));
        doc.text(
            "fu_housing",
            self.pick(&[
                ("own_home", 70),
                ("own_home_with_help", 15),
                ("supported_housing", 5),
                ("nursing_home", 10),
            ]),
        );
        doc.flag("fu_new_stroke", self.chance(0.04));
        doc.flag("fu_readmitted", self.chance(0.12));
        for question in ["prom_reading_writing", "prom_swallowing", "prom_speech", "prom_vision"] {
            let answer = self.chance(0.2);
            doc.flag(question, answer);
        }
        let recovered = self.chance(0.55);
        doc.flag("prom_recovered", recovered);
        for question in ["prem_enough_help", "prem_enough_training", "prem_doctor_followup"] {
            let answer = self.chance(0.75);
            doc.flag(question, answer);
        }
        let satisfied = self.chance(0.7);
        doc.flag("prom_life_satisfaction", satisfied);
    }
}
