//! The units results are given for: hospitals, rolled up to health trusts, health regions
//! and the nation. Built from the platform's hospital list by the caller, so the engine
//! needs no store.

use std::collections::HashMap;

/// One hospital and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hospital {
    pub code: String,
    pub health_trust: String,
    pub health_region: String,
}

/// The hospital list as a hierarchy: hospital → health trust → health region → nation.
#[derive(Debug, Clone)]
pub struct Units {
    nation: String,
    hospitals: Vec<Hospital>,
    index: HashMap<String, usize>,
    trusts: Vec<String>,
    regions: Vec<String>,
    /// For each hospital, its trust's and its region's position.
    trust_of: Vec<usize>,
    region_of: Vec<usize>,
}

impl Units {
    /// `nation` names the national level in results (e.g. "Norge"). A hospital code listed
    /// twice keeps its first entry. Trusts and regions are ordered by first appearance.
    pub fn new(nation: impl Into<String>, hospitals: impl IntoIterator<Item = Hospital>) -> Units {
        let mut units = Units {
            nation: nation.into(),
            hospitals: Vec::new(),
            index: HashMap::new(),
            trusts: Vec::new(),
            regions: Vec::new(),
            trust_of: Vec::new(),
            region_of: Vec::new(),
        };
        for hospital in hospitals {
            if units.index.contains_key(&hospital.code) {
                continue;
            }
            let position = |names: &mut Vec<String>, name: &str| match names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    names.push(name.to_string());
                    names.len() - 1
                }
            };
            let trust = position(&mut units.trusts, &hospital.health_trust);
            let region = position(&mut units.regions, &hospital.health_region);
            units.index.insert(hospital.code.clone(), units.hospitals.len());
            units.trust_of.push(trust);
            units.region_of.push(region);
            units.hospitals.push(hospital);
        }
        units
    }

    pub fn nation(&self) -> &str {
        &self.nation
    }

    pub fn hospitals(&self) -> &[Hospital] {
        &self.hospitals
    }

    pub fn trusts(&self) -> &[String] {
        &self.trusts
    }

    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// A hospital's position in [`Units::hospitals`].
    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The position of a hospital's trust in [`Units::trusts`].
    pub fn trust_of(&self, hospital: usize) -> Option<usize> {
        self.trust_of.get(hospital).copied()
    }

    /// The position of a hospital's region in [`Units::regions`].
    pub fn region_of(&self, hospital: usize) -> Option<usize> {
        self.region_of.get(hospital).copied()
    }
}
