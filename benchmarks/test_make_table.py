#!/usr/bin/env python3
"""make_table.py on the committed H100 run 4 and on trial runs made from it: the goal ratios
come from the JSON rows, an opt-in switch whose parity failed never counts as ours-best, and
the per-switch verdicts. Run by ctest (make_table_goals_and_trials); stdlib only."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN4 = os.path.join(HERE, "results", "h100-80gb-hbm3-2026-11-26-run4")
sys.path.insert(0, HERE)
import make_table  # noqa: E402


def rows(folder):
    out = []
    for p in glob.glob(os.path.join(folder, "*.jsonl")):
        with open(p) as f:
            out += [json.loads(l) for l in f if l.startswith("{")]
    return out


def find(rs, case, impl, mode):
    return next(r for r in rs if r["case"] == case and r["impl"] == impl and r["mode"] == mode)


def table(folder):
    out = os.path.join(folder, "out.md")
    subprocess.run([sys.executable, os.path.join(HERE, "make_table.py"), folder, "-o", out],
                   check=True, capture_output=True)
    with open(out) as f:
        return f.read()


def copy_run4(d):
    for p in glob.glob(os.path.join(RUN4, "*")):
        shutil.copy(p, d)


def goal_line(md, start):
    return next(l for l in md.splitlines() if l.startswith("| " + start))


class Run4(unittest.TestCase):
    def test_goal_ratios_come_from_the_rows(self):
        rs = rows(RUN4)
        r9, r50 = "resnet9:64:512:1", "resnet50:128:96:1"
        # ours best: ResNet9's graph step, ResNet50's plain AMP step (run 4)
        want9 = find(rs, r9, "ours", "amp_graph")["img_per_s"] / find(rs, r9, "torch", "amp")["img_per_s"]
        want50 = find(rs, r50, "ours", "amp")["img_per_s"] / find(rs, r50, "torch", "amp")["img_per_s"]
        with tempfile.TemporaryDirectory() as d:
            copy_run4(d)
            md = table(d)
        line9 = goal_line(md, "resnet9 @64 px b512: ours ÷ PyTorch eager")
        line50 = goal_line(md, "resnet50 @128 px b96: ours ÷ PyTorch eager")
        self.assertIn("%.2f× (ours amp_graph)" % want9, line9)
        self.assertIn("%.2f× (ours amp)" % want50, line50)
        self.assertTrue(line9.endswith("**no** |") and line50.endswith("**no** |"))
        mem50 = goal_line(md, "resnet50 @128 px b96: peak memory")
        self.assertIn("%.0f / %.0f MB" % (find(rs, r50, "ours", "amp")["device_peak_mb"],
                                         find(rs, r50, "torch", "amp")["reserved_peak_mb"]), mem50)


class Trials(unittest.TestCase):
    """Run 4 plus an 'all' trial whose ResNet9 graph step is 11 ms."""

    def make(self, d, parity_rc):
        copy_run4(d)
        graph = find(rows(RUN4), "resnet9:64:512:1", "ours", "amp_graph")
        fast = dict(graph, mode="amp_graph_all", ms=11.0, img_per_s=512 / 0.011)
        with open(os.path.join(d, "train_graph_all_resnet9.jsonl"), "w") as f:
            f.write(json.dumps(fast) + "\n")
        with open(os.path.join(d, "summary.txt"), "a") as f:
            f.write("parity_all %s 5\n" % parity_rc)
        return find(rows(RUN4), "resnet9:64:512:1", "torch", "amp")["img_per_s"]

    def test_a_switch_that_failed_parity_is_not_ours_best(self):
        with tempfile.TemporaryDirectory() as d:
            self.make(d, "3")
            md = table(d)
        line = goal_line(md, "resnet9 @64 px b512: ours ÷ PyTorch eager")
        self.assertIn("(ours amp_graph)", line)
        self.assertIn("every opt-in switch on trial (parity failed)", md)
        self.assertIn("| every opt-in switch on trial | **fail (3)** |", md)

    def test_a_switch_that_passed_parity_is(self):
        with tempfile.TemporaryDirectory() as d:
            torch_amp = self.make(d, "0")
            md = table(d)
        line = goal_line(md, "resnet9 @64 px b512: ours ÷ PyTorch eager")
        self.assertIn("%.2f× (ours amp_graph_all)" % ((512 / 0.011) / torch_amp), line)
        self.assertTrue(line.endswith("**yes** |"))

    def test_verdicts(self):
        v = make_table.trial_verdict
        both = lambda a, b, c, d: {("r9", "ms"): a, ("r9", "mb"): b, ("r50", "ms"): c, ("r50", "mb"): d}
        self.assertEqual(v("0", both(0.9, 1.0, 1.0, 1.0), 2), "**adopt**")
        self.assertEqual(v("0", both(1.0, 0.99, 1.01, 1.0), 2), "neutral")
        self.assertEqual(v("0", both(0.8, 1.0, 1.03, 1.0), 2), "reject (slower or bigger)")
        self.assertEqual(v("1", both(0.8, 0.8, 0.8, 0.8), 2), "reject (parity)")
        self.assertEqual(v("0", {("r9", "ms"): 0.8}, 2), "incomplete")
        self.assertEqual(v(None, both(0.8, 0.8, 0.8, 0.8), 2), "incomplete")
        # parity implied by every switch passing together
        self.assertEqual(v("all", both(0.9, 1.0, 1.0, 1.0), 2), "**adopt**")

    def table_with(self, summary_line):
        """The trial run with every switch passing together, plus one summary line."""
        with tempfile.TemporaryDirectory() as d:
            self.make(d, "0")
            with open(os.path.join(d, "summary.txt"), "a") as f:
                f.write(summary_line + "\n")
            return table(d)

    def test_a_switch_covered_by_the_all_parity(self):
        md = self.table_with("parity_heap all 0")
        self.assertIn("| device heap allocator (SS_ALLOC=heap) | pass (with all) |", md)
        self.assertNotIn("heap allocator (SS_ALLOC=heap) (parity failed)", md)

    def test_a_parity_skipped_for_budget_is_not_a_failure(self):
        self.assertEqual(make_table.trial_verdict("skip", {}, 2), "incomplete")
        md = self.table_with("parity_bnrows skip 0")
        self.assertIn("| BN applies by channel-group rows (SS_BN_APPLY=rows) | skipped (budget) |", md)


class MalformedRows(unittest.TestCase):
    """A bad row (a crashed step's half line is already skipped) is dropped, not the summary."""

    def test_odd_rows_are_dropped(self):
        good = find(rows(RUN4), "resnet9:64:512:1", "torch", "amp")
        bad = [dict(good, impl="jax"), dict(good, mode=None), dict(good, img_per_s="fast"),
               dict(good, ms=True), dict(good, width=None), ["not", "a", "row"],
               dict(good, arch=None, case="x")]
        with tempfile.TemporaryDirectory() as d:
            copy_run4(d)
            with open(os.path.join(d, "train_bad.jsonl"), "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in bad))
            md = table(d)
        self.assertIn("resnet9 @64 px b512: ours ÷ PyTorch eager", md)
        self.assertNotIn("jax", md)


if __name__ == "__main__":
    unittest.main()
