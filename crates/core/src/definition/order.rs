//! The order in which derived variables are computed: each after those it uses. A cycle
//! has no such order and is named, member by member, so the administrator can break it.

/// `uses[i]` lists the derived variables (by index) that derived variable `i` uses.
/// Returns the computing order, or every cycle found (each as indices, first repeated last).
pub fn dependency_order(uses: &[Vec<usize>]) -> Result<Vec<usize>, Vec<Vec<usize>>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    struct Walk<'a> {
        uses: &'a [Vec<usize>],
        marks: Vec<Mark>,
        stack: Vec<usize>,
        order: Vec<usize>,
        cycles: Vec<Vec<usize>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, node: usize) {
            self.marks[node] = Mark::Active;
            self.stack.push(node);
            for &next in &self.uses[node] {
                match self.marks[next] {
                    Mark::New => self.visit(next),
                    Mark::Active => {
                        let start = self.stack.iter().position(|&n| n == next).unwrap_or(0);
                        let mut cycle = self.stack[start..].to_vec();
                        cycle.push(next);
                        self.cycles.push(cycle);
                    }
                    Mark::Done => {}
                }
            }
            self.stack.pop();
            self.marks[node] = Mark::Done;
            self.order.push(node);
        }
    }
    let mut walk = Walk {
        uses,
        marks: vec![Mark::New; uses.len()],
        stack: Vec::new(),
        order: Vec::new(),
        cycles: Vec::new(),
    };
    for node in 0..uses.len() {
        if walk.marks[node] == Mark::New {
            walk.visit(node);
        }
    }
    if walk.cycles.is_empty() {
        Ok(walk.order)
    } else {
        Err(walk.cycles)
    }
}

#[cfg(test)]
mod tests {
    use super::dependency_order;

    #[test]
    fn uses_come_first() {
        let order = dependency_order(&[vec![1], vec![2], vec![]]).expect("no cycle");
        assert_eq!(order, vec![2, 1, 0]);
    }

    #[test]
    fn a_cycle_is_named_in_order() {
        let cycles = dependency_order(&[vec![], vec![2], vec![3], vec![1]]).expect_err("cycle");
        assert_eq!(cycles, vec![vec![1, 2, 3, 1]]);
    }
}
