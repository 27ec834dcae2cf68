"""`leadloop scoring tune|apply|show|list`: learn a scoring model from outcomes, read it, apply it.

leadloop scoring tune --target won [--since 2025-01-01] [--until DATE] [--format json]
leadloop scoring show [ID]          # the active model without ID
leadloop scoring apply ID           # activates a proposal and rescores every open lead
leadloop scoring list
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from leadloop.accounts.models import User
from leadloop.cli.options import by_name, moment
from leadloop.lib.errors import Conflict
from leadloop.lifecycle import scoring
from leadloop.scoring import selectors, tuning
from leadloop.scoring.choices import Target
from leadloop.scoring.models import ScoringModel
from leadloop.scoring.report import FIGURES, model_summary
from leadloop.scoring.synthetic import drifting_history


class Command(BaseCommand):
    help = "Tune, show and apply lead-scoring models (learned from closed leads)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        tune = sub.add_parser("tune", help="Learn a proposal from closed leads and backtest it")
        tune.add_argument("--target", choices=Target.values, required=True)
        tune.add_argument("--since", help="Learn from leads created on or after (YYYY-MM-DD)")
        tune.add_argument("--until", help="... and before this day (default: all)")
        tune.add_argument("--format", choices=["table", "json"], default="table")
        tune.add_argument("--user", help="Who proposes it (user name; default: nobody)")
        show = sub.add_parser("show", help="A model's points (the active one without ID)")
        show.add_argument("id", nargs="?", type=int)
        show.add_argument("--format", choices=["table", "json"], default="table")
        apply = sub.add_parser("apply", help="Make a proposal the active model and rescore")
        apply.add_argument("id", type=int)
        apply.add_argument("--user", help="Who applies it (user name)")
        sub.add_parser("list", help="Every model version")
        compare = sub.add_parser(
            "compare",
            help="Tune on a synthetic drifting history (no database) beside three baselines",
        )
        compare.add_argument("--rows", type=int, default=20000)
        compare.add_argument("--seeds", default="1,2,3", help="Comma-separated RNG seeds")
        compare.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "tune":
            self._tune(opts)
        elif verb == "show":
            self._show(opts)
        elif verb == "apply":
            self._apply(opts)
        elif verb == "compare":
            self._compare(opts)
        else:
            self._list()

    def _user(self, opts: dict[str, Any]) -> User | None:
        found = by_name(User, opts.get("user"), "username", "--user")
        return found if isinstance(found, User) else None

    def _tune(self, opts: dict[str, Any]) -> None:
        bar = tqdm(total=100, disable=not sys.stderr.isatty(), file=sys.stderr, desc="tuning")

        def progress(step: str, fraction: float) -> None:
            bar.set_description(step)
            bar.n = int(fraction * 100)
            bar.refresh()

        try:
            model = scoring.propose(
                target=opts["target"],
                actor=self._user(opts),
                now=timezone.now(),
                since=moment(opts["since"], "--since"),
                until=moment(opts["until"], "--until"),
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        finally:
            bar.close()
        if opts["format"] == "json":
            self.stdout.write(json.dumps(model_summary(model), indent=2))
            return
        self._print_backtest(model)
        self.stdout.write(f"\nApply it with: leadloop scoring apply {model.pk}")

    def _print_backtest(self, model: ScoringModel) -> None:
        bt = model.backtest
        w = self.stdout.write
        hist, hold = bt["history"], bt["holdout"]
        w(f"Proposal {model.pk} (v{model.version}), target {model.target}")
        w(
            f"Learned from {hist['count']} closed leads ({hist['positives']} positive), "
            f"{hist['from'][:10]} to {hist['to'][:10]}"
        )
        w(
            f"Backtest on the {hold['count']} most recent ({hold['from'][:10]} to "
            f"{hold['to'][:10]}), learned from the leads before them"
        )
        settings = bt["settings"]
        w(
            f"Chosen: {_half_life(settings['half_life_days'])}, "
            f"C {settings['C']}, {settings['bins']} bins per number, values under "
            f"{settings['min_count']} leads merged into (other)"
        )
        w("")
        w(f"{'model':<22}{'ROC AUC':>9}{'Brier':>9}{'top-decile lift':>17}")
        rows = [("proposal", bt["proposal"]), ("current", bt["current"])]
        rows += [(name.replace("_", " "), figures) for name, figures in bt["baselines"].items()]
        for name, figures in rows:
            if figures is None:
                w(f"{name:<22}{'(no active model)':>35}")
                continue
            cells = [figures.get(k) for k in FIGURES]
            text = ["-" if c is None else f"{c:.3f}" for c in cells]
            w(f"{name:<22}{text[0]:>9}{text[1]:>9}{text[2]:>17}")
        w("\nReliability (proposal): predicted vs observed")
        for row in bt["proposal"]["reliability"]:
            w(f"  {row['bin']:<9}{row['count']:>7}  {row['predicted']:.3f}  {row['observed']:.3f}")
        for refused in bt.get("refused", []):
            w(f"\nLeft out {refused['label']}: {refused['why']}")
        w("\nPoints (count, outcome rate, lift):")
        for v in bt["values"]:
            lift = "-" if v["lift"] is None else f"{v['lift']:.2f}"
            w(
                f"  {v['label']}: {v['value']:<30} {v['points']:>+4}  "
                f"{v['count']:>7}  {v['rate']:.3f}  {lift}"
            )

    def _show(self, opts: dict[str, Any]) -> None:
        model = self._model(opts["id"])
        if opts["format"] == "json":
            self.stdout.write(json.dumps(model_summary(model, points=True), indent=2))
            return
        applied = f", applied {model.applied_at:%Y-%m-%d %H:%M} UTC" if model.applied_at else ""
        self.stdout.write(
            f"Model {model.pk} (v{model.version}), target {model.target}, {model.status}{applied}"
        )
        self.stdout.write(f"Starting points {model.spec.get('base', 0)}")
        for row in selectors.points_table(model.spec):
            self.stdout.write(f"  {row['label']}: {row['value']:<30} {row['points']:>+4}")
        cuts = model.spec.get("tiers", [])
        if cuts:
            self.stdout.write(f"Tiers: A from {cuts[0]}, B from {cuts[1]}, C from {cuts[2]}")

    def _model(self, model_id: int | None) -> ScoringModel:
        if model_id is None:
            active = selectors.active_model()
            if active is None:
                raise CommandError("no model is active; `leadloop scoring list` shows them all")
            return active
        found = ScoringModel.objects.filter(pk=model_id).first()
        if found is None:
            raise CommandError(f"no scoring model {model_id}")
        return found

    def _apply(self, opts: dict[str, Any]) -> None:
        model = self._model(opts["id"])
        bar = tqdm(
            disable=not sys.stderr.isatty(), file=sys.stderr, desc="rescoring", unit=" leads"
        )

        def progress(done: int) -> None:
            bar.n = done
            bar.refresh()

        try:
            applied = scoring.apply_model(
                model, actor=self._user(opts), now=timezone.now(), progress=progress
            )
        except Conflict as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        if applied.finished_stopped:
            self.stdout.write(
                f"Model {model.pk} (v{applied.model.version}): its stopped rescoring is "
                f"finished, {applied.rescored} open leads on it ({applied.run_rescored} "
                f"rescored now), {applied.tier_changes} changed tier."
            )
            return
        self.stdout.write(
            f"Model {model.pk} (v{applied.model.version}) is active: {applied.rescored} open "
            f"leads rescored, {applied.tier_changes} changed tier."
        )

    def _list(self) -> None:
        for model in selectors.models():
            auc = (model.backtest.get("proposal") or {}).get("auc")
            self.stdout.write(
                f"{model.pk:>4}  v{model.version:<4} {model.target:<10} {model.status:<9} "
                f"created {model.created_at:%Y-%m-%d %H:%M}  backtest AUC {auc}"
            )

    def _compare(self, opts: dict[str, Any]) -> None:
        """The proposal against the baselines on later leads, per seed; with the seconds the
        whole tuning took beside the seconds one plain logistic fit takes on the same data."""
        rows = opts["rows"]
        if rows < tuning.MIN_CLOSED * 2:
            raise CommandError(f"--rows must be at least {tuning.MIN_CLOSED * 2}")
        try:
            seeds = [int(x) for x in opts["seeds"].split(",") if x.strip()]
        except ValueError:
            raise CommandError("--seeds takes numbers, e.g. 1,2,3") from None
        results = []
        for seed in seeds:
            history = drifting_history(rows, seed)
            started = time.perf_counter()
            tuned = tuning.tune(history, target="won", current=None)
            seconds = time.perf_counter() - started
            earlier, later = tuning.time_split(history.times, tuning.HOLDOUT_FRACTION)
            started = time.perf_counter()
            tuning.plain_logistic(history.take(earlier), history.take(later))
            baseline = time.perf_counter() - started
            bt = tuned["backtest"]
            results.append(
                {
                    "seed": seed,
                    "rows": rows,
                    "tune_seconds": round(seconds, 2),
                    "plain_logistic_seconds": round(baseline, 2),
                    "settings": bt["settings"],
                    "proposal": {k: bt["proposal"][k] for k in FIGURES},
                    "baselines": bt["baselines"],
                }
            )
        if opts["format"] == "json":
            self.stdout.write(json.dumps(results, indent=2))
            return
        for r in results:
            self.stdout.write(
                f"seed {r['seed']}, {r['rows']} leads: tuned in {r['tune_seconds']} s "
                f"(one plain logistic fit: {r['plain_logistic_seconds']} s)"
            )
            self.stdout.write(f"  {'model':<20}{'ROC AUC':>9}{'Brier':>9}")
            for name, figures in [("proposal", r["proposal"]), *r["baselines"].items()]:
                self.stdout.write(
                    f"  {name.replace('_', ' '):<20}{figures['auc']:>9.3f}{figures['brier']:>9.4f}"
                )


def _half_life(days: float | None) -> str:
    """The chosen weighting of past outcomes, in words."""
    if not days:
        return "every outcome weighted alike (no recency half-life)"
    return f"recency half-life {days:g} days"
