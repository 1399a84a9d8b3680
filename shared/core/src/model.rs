//! Model portfolios: target weights, cash target, tolerance bands, sleeves.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHolding {
    pub security: String,
    /// Fraction of the account's value, e.g. 0.05 for 5 %.
    pub weight: Decimal,
}

/// A fixed allocation of this model to another model (a "model of models").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sleeve {
    pub model: String,
    pub weight: Decimal,
}

/// Tolerance band around each target weight. A holding is in band when its weight is
/// within the wider of `absolute` and `relative × target` of its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ToleranceBands {
    #[serde(default = "default_abs")]
    pub absolute: Decimal,
    #[serde(default = "default_rel")]
    pub relative: Decimal,
}

fn default_abs() -> Decimal {
    Decimal::new(2, 2)
}
fn default_rel() -> Decimal {
    Decimal::new(25, 2)
}

impl Default for ToleranceBands {
    fn default() -> Self {
        ToleranceBands { absolute: default_abs(), relative: default_rel() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPortfolio {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cash_weight: Decimal,
    #[serde(default)]
    pub holdings: Vec<ModelHolding>,
    #[serde(default)]
    pub sleeves: Vec<Sleeve>,
    #[serde(default)]
    pub bands: ToleranceBands,
    /// No trade smaller than this notional is proposed.
    #[serde(default = "default_min_trade")]
    pub min_trade: Decimal,
}

fn default_min_trade() -> Decimal {
    Decimal::from(50)
}

/// A model with its sleeves multiplied out: one target weight per security.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatModel {
    pub id: String,
    /// Sorted by security id; weights are strictly positive.
    pub targets: Vec<(String, Decimal)>,
    pub cash_weight: Decimal,
    pub bands: ToleranceBands,
    pub min_trade: Decimal,
}

/// Why a model cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("model {model}: weights and cash sum to {sum}, not 100%")]
    WeightsDoNotSum { model: String, sum: Decimal },
    #[error("model {model}: negative weight {weight} for {item}")]
    NegativeWeight { model: String, item: String, weight: Decimal },
    #[error("model {model}: sleeve refers to unknown model {sleeve}")]
    UnknownSleeve { model: String, sleeve: String },
    #[error("model {model}: sleeves form a cycle through {sleeve}")]
    SleeveCycle { model: String, sleeve: String },
    #[error("model {model}: holding {security} is not in the security master")]
    UnknownSecurity { model: String, security: String },
}

/// Tolerance for weights that should sum to one (0.01 %), for rounded published weights.
const WEIGHT_SUM_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 4);

impl ModelPortfolio {
    fn own_sum(&self) -> Decimal {
        self.cash_weight
            + self.holdings.iter().map(|h| h.weight).sum::<Decimal>()
            + self.sleeves.iter().map(|s| s.weight).sum::<Decimal>()
    }

    /// Multiplies out sleeves (recursively) into one weight per security.
    pub fn flatten(&self, models: &HashMap<String, ModelPortfolio>) -> Result<FlatModel, ModelError> {
        let mut acc: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut cash = Decimal::ZERO;
        let mut stack = Vec::new();
        self.accumulate(Decimal::ONE, models, &mut stack, &mut acc, &mut cash)?;
        Ok(FlatModel {
            id: self.id.clone(),
            targets: acc.into_iter().filter(|(_, w)| !w.is_zero()).collect(),
            cash_weight: cash,
            bands: self.bands,
            min_trade: self.min_trade,
        })
    }

    fn accumulate(
        &self,
        scale: Decimal,
        models: &HashMap<String, ModelPortfolio>,
        stack: &mut Vec<String>,
        acc: &mut BTreeMap<String, Decimal>,
        cash: &mut Decimal,
    ) -> Result<(), ModelError> {
        let sum = self.own_sum();
        if (sum - Decimal::ONE).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(ModelError::WeightsDoNotSum { model: self.id.clone(), sum });
        }
        let negative = std::iter::once(("cash", self.cash_weight))
            .chain(self.holdings.iter().map(|h| (h.security.as_str(), h.weight)))
            .chain(self.sleeves.iter().map(|s| (s.model.as_str(), s.weight)))
            .find(|(_, w)| w.is_sign_negative() && !w.is_zero());
        if let Some((item, weight)) = negative {
            return Err(ModelError::NegativeWeight { model: self.id.clone(), item: item.to_string(), weight });
        }
        stack.push(self.id.clone());
        *cash += scale * self.cash_weight;
        for h in &self.holdings {
            *acc.entry(h.security.clone()).or_default() += scale * h.weight;
        }
        for s in &self.sleeves {
            if stack.contains(&s.model) {
                return Err(ModelError::SleeveCycle { model: self.id.clone(), sleeve: s.model.clone() });
            }
            let sub = models
                .get(&s.model)
                .ok_or_else(|| ModelError::UnknownSleeve { model: self.id.clone(), sleeve: s.model.clone() })?;
            sub.accumulate(scale * s.weight, models, stack, acc, cash)?;
        }
        stack.pop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn model(id: &str, cash: Decimal, holdings: &[(&str, Decimal)], sleeves: &[(&str, Decimal)]) -> ModelPortfolio {
        ModelPortfolio {
            id: id.into(),
            name: String::new(),
            cash_weight: cash,
            holdings: holdings.iter().map(|(s, w)| ModelHolding { security: s.to_string(), weight: *w }).collect(),
            sleeves: sleeves.iter().map(|(m, w)| Sleeve { model: m.to_string(), weight: *w }).collect(),
            bands: ToleranceBands::default(),
            min_trade: dec!(50),
        }
    }

    #[test]
    fn sleeves_multiply_out_and_sum_shared_securities() {
        let eq = model("EQ", dec!(0), &[("VTI", dec!(0.6)), ("VXUS", dec!(0.4))], &[]);
        let fi = model("FI", dec!(0.10), &[("BND", dec!(0.9))], &[]);
        let top = model("BAL", dec!(0.02), &[("VTI", dec!(0.08))], &[("EQ", dec!(0.5)), ("FI", dec!(0.4))]);
        let models: HashMap<_, _> = [eq, fi, top.clone()].into_iter().map(|m| (m.id.clone(), m)).collect();
        let flat = top.flatten(&models).unwrap();
        assert_eq!(
            flat.targets,
            vec![("BND".into(), dec!(0.36)), ("VTI".into(), dec!(0.38)), ("VXUS".into(), dec!(0.20))]
        );
        assert_eq!(flat.cash_weight, dec!(0.06));
    }

    #[test]
    fn weights_not_summing_to_one_are_rejected_with_the_sum() {
        let m = model("BAD", dec!(0.05), &[("VTI", dec!(0.90))], &[]);
        let err = m.flatten(&HashMap::new()).unwrap_err();
        assert_eq!(err.to_string(), "model BAD: weights and cash sum to 0.95, not 100%");
    }

    #[test]
    fn sleeve_cycles_are_rejected() {
        let a = model("A", dec!(0), &[], &[("B", dec!(1))]);
        let b = model("B", dec!(0), &[], &[("A", dec!(1))]);
        let models: HashMap<_, _> = [a.clone(), b].into_iter().map(|m| (m.id.clone(), m)).collect();
        assert!(matches!(a.flatten(&models), Err(ModelError::SleeveCycle { .. })));
    }
}
