//! Fair round robin by stride scheduling.
//!
//! Each member has a *pass*; the eligible member with the lowest pass gets the next lead (ties go
//! to the earlier member in the stable order), and their pass grows by their *stride*
//! (`STRIDE / weight`, so a weight of 2 is served twice as often). The pool keeps a *virtual
//! time*: the lowest pass among the members who stayed eligible. Someone who was not eligible last time (on leave,
//! at a quota, inactive) and is eligible again rejoins at the virtual time rather than at their
//! old pass, so they are not flooded with the leads they "missed"; everybody eligible with the
//! lowest pass is served before anyone is served twice, so nobody starves.

use uuid::Uuid;

/// The stride of a member of weight 1.
pub const STRIDE: i64 = 1_000_000;

/// One member's place in the rotation, in the pool's stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub user_id: Uuid,
    pub pass: i64,
    /// Eligible when last considered.
    pub was_eligible: bool,
    pub weight: i64,
    /// Eligible now.
    pub eligible: bool,
}

impl Slot {
    pub fn stride(&self) -> i64 {
        STRIDE / self.weight.clamp(1, 100)
    }

    /// The pass this member is compared with now.
    pub fn effective_pass(&self, vtime: i64) -> i64 {
        if self.eligible && !self.was_eligible {
            self.pass.max(vtime)
        } else {
            self.pass
        }
    }
}

/// The rotation of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub vtime: i64,
    pub slots: Vec<Slot>,
}

impl Rotation {
    /// The index of the member whose turn it is: the eligible one with the lowest effective pass
    /// (the earliest in order on a tie), skipping those in `exclude`.
    pub fn next(&self, exclude: &[Uuid]) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.eligible && !exclude.contains(&s.user_id))
            .min_by_key(|(i, s)| (s.effective_pass(self.vtime), *i))
            .map(|(i, _)| i)
    }

    /// Whether `index` may take a lead now: they are at most `max_ahead` of their own strides
    /// ahead of the eligible member furthest behind.
    pub fn is_turn_of(&self, index: usize, max_ahead: i64) -> bool {
        let slot = &self.slots[index];
        if !slot.eligible {
            return false;
        }
        let lowest = self
            .slots
            .iter()
            .filter(|s| s.eligible)
            .map(|s| s.effective_pass(self.vtime))
            .min()
            .unwrap_or(0);
        slot.effective_pass(self.vtime) - lowest <= max_ahead.saturating_mul(slot.stride())
    }

    /// Records that `index` was served: their pass moves on by their stride, and the virtual time
    /// to the lowest pass of the members who were and are eligible (where a returner rejoins).
    pub fn serve(&mut self, index: usize) {
        let vtime = self.vtime;
        let slot = &mut self.slots[index];
        let at = slot.effective_pass(vtime);
        slot.pass = at + slot.stride();
        slot.was_eligible = true;
        let lowest = self
            .slots
            .iter()
            .filter(|s| s.eligible && s.was_eligible)
            .map(|s| s.pass)
            .min()
            .unwrap_or(at);
        self.vtime = vtime.max(lowest);
    }

    /// After a decision: everyone's eligibility now becomes what "last time" means, and those who
    /// rejoined are moved up to the virtual time.
    pub fn settle(&mut self) {
        let vtime = self.vtime;
        for slot in &mut self.slots {
            if slot.eligible && !slot.was_eligible {
                slot.pass = slot.pass.max(vtime);
            }
            slot.was_eligible = slot.eligible;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(weights: &[i64]) -> Rotation {
        Rotation {
            vtime: 0,
            slots: weights
                .iter()
                .enumerate()
                .map(|(i, w)| Slot {
                    user_id: Uuid::from_u128(i as u128 + 1),
                    pass: 0,
                    was_eligible: true,
                    weight: *w,
                    eligible: true,
                })
                .collect(),
        }
    }

    fn deal(r: &mut Rotation, n: usize) -> Vec<usize> {
        (0..n)
            .map(|_| {
                let i = r.next(&[]).unwrap();
                r.serve(i);
                r.settle();
                i
            })
            .collect()
    }

    #[test]
    fn equal_weights_go_round_in_stable_order() {
        let mut r = rotation(&[1, 1, 1]);
        assert_eq!(deal(&mut r, 7), vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn weights_share_in_proportion() {
        let mut r = rotation(&[2, 1]);
        let got = deal(&mut r, 300);
        let first = got.iter().filter(|i| **i == 0).count();
        assert_eq!(first, 200);
        // Never more than two in a row for anyone.
        assert!(got.windows(3).all(|w| !(w[0] == 1 && w[1] == 1)));
    }

    #[test]
    fn skipped_members_are_not_served_and_rejoin_without_a_flood() {
        let mut r = rotation(&[1, 1, 1]);
        deal(&mut r, 3);
        // Member 2 goes on leave for 30 leads.
        r.slots[2].eligible = false;
        r.settle();
        let away = deal(&mut r, 30);
        assert!(away.iter().all(|i| *i != 2));
        assert_eq!(away.iter().filter(|i| **i == 0).count(), 15);
        // Back: the next 30 leads are shared evenly, not 30 to the returner.
        r.slots[2].eligible = true;
        let back = deal(&mut r, 30);
        for member in 0..3 {
            assert_eq!(
                back.iter().filter(|i| **i == member).count(),
                10,
                "{back:?}"
            );
        }
        // And the returner is not served twice in a row.
        assert!(back.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn turns_for_self_service() {
        let mut r = rotation(&[1, 1]);
        assert!(r.is_turn_of(0, 0) && r.is_turn_of(1, 0));
        r.serve(0);
        r.settle();
        // Strict turns: 0 waits for 1; one ahead allowed: 0 may take another.
        assert!(!r.is_turn_of(0, 0));
        assert!(r.is_turn_of(0, 1));
        r.serve(0);
        r.settle();
        assert!(!r.is_turn_of(0, 1));
        assert_eq!(r.next(&[]), Some(1));
        // An ineligible member does not hold anyone back.
        r.slots[1].eligible = false;
        assert!(r.is_turn_of(0, 0));
        assert!(!r.is_turn_of(1, 5));
    }

    #[test]
    fn exclusions_and_nobody_eligible() {
        let mut r = rotation(&[1, 1]);
        let first = r.slots[0].user_id;
        assert_eq!(r.next(&[first]), Some(1));
        r.slots[0].eligible = false;
        r.slots[1].eligible = false;
        assert_eq!(r.next(&[]), None);
    }
}
