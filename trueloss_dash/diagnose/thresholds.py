"""Every number the diagnosis decides with, in one place.

Detectors and rules import these names; nothing else in ``trueloss_dash.diagnose`` hard-codes a
threshold. All loss thresholds are *relative* (ratios, or differences of log-loss) so that
multiplying a loss by a constant, or shifting the x axis, changes no finding.
"""

from __future__ import annotations

import math

# --- working resolution ----------------------------------------------------------------------
#: Series longer than this are averaged into this many bins before shape detectors run
#: (spike/plateau/oscillation). A 1,000,000-step loss becomes 2,000 means of 500 steps each:
#: minibatch noise averages out, a spike lasting a few hundred steps still stands out.
MAX_WORKING_POINTS = 2000

# --- spike -------------------------------------------------------------------------------------
#: Fewest finite points on which a spike can be called (3-5 epoch runs are mostly noise).
SPIKE_MIN_POINTS = 6
#: Robust z-score (0.6745 * (r - median) / MAD of log-loss residuals from a rolling-median trend).
SPIKE_Z = 6.0
#: ... and the point must also rise at least this much above the trend (log ratio; 0.12 = +13%).
SPIKE_MIN_LOG_RISE = math.log(1.13)
#: Floor for the residual scale (log units) so a perfectly smooth curve has no "infinite" z.
SPIKE_SIGMA_FLOOR = 0.015
#: Rolling-median window as a fraction of the series length, clamped to [min, max] (odd).
SPIKE_TREND_FRACTION = 0.05
SPIKE_TREND_MIN_WINDOW = 5
SPIKE_TREND_MAX_WINDOW = 41
#: A spike "recovers" when the loss falls back to within this fraction of the rise above the
#: pre-spike level ...
SPIKE_RECOVERY_FRACTION = 0.35
#: ... within this many points (working resolution) after the peak; otherwise it is persistent.
SPIKE_RECOVERY_POINTS = 5
#: Level shift (a jump that stays): median of the next m points over median of the previous m
#: at least this ratio, and this many noise units (local scale, see noise.py).
LEVEL_SHIFT_MIN_LOG_RISE = math.log(1.5)
LEVEL_SHIFT_Z = 8.0
#: The shift "stays to the end" (a warning: the final model is worse) when the last points sit at
#: least this share of the shift above the level before it.
LEVEL_SHIFT_STAYS_SHARE = 0.5
#: Fewest points a level shift can be called on (a jump at the second of five validation points
#: that holds for the rest is already clear), and the share of the run a climb must hold for.
LEVEL_SHIFT_MIN_POINTS = 5
LEVEL_SHIFT_MIN_STAY_FRACTION = 0.2
#: A training loss whose remainder after its best (>= 25% of the run) stays >= x1.25 above it, by
#: 4 standard errors of its noise: pushed into a worse region it never left (level_shift.py).
LEVEL_SHIFT_HELD_MIN_FRACTION = 0.25
#: A training loss's rise from its best is measured from the best's level: the lowest rolling-median
#: value of a long noisy curve sits below that level by luck, exceeded with this probability per curve
#: (noise.lucky_low, used by the level-shift and slow-divergence checks).
LEVEL_SHIFT_LUCK_ALPHA = 0.01
LEVEL_SHIFT_HELD_MIN_LOG_RISE = math.log(1.25)
LEVEL_SHIFT_HELD_Z = 4.0
#: Validation held >= x1.15 above its best (2 standard errors) while the training loss is held >= x1.15
#: above its own best too (2 standard errors): both curves got worse together - a level shift.
LEVEL_SHIFT_JOINT_MIN_LOG_RISE = math.log(1.15)
LEVEL_SHIFT_JOINT_Z = 2.0
#: A shift that lands at >= this share of the loss's starting level (median of its first 10%) undid
#: the training: the learning rate is a candidate cause even without a logged LR increase.
LEVEL_SHIFT_BACK_TO_START = 0.9
#: A training-loss jump (a level shift or an explosion) that validation did not follow - validation
#: after it rose less than this share of the training jump (log units) - changed the reported loss,
#: not the model: a new loss term or data switched on mid-run (Rishiatweb: a DANN term switched on,
#: training x25 and flat, validation x2 at 0.01-0.03 with accuracy 0.99). Not a divergence; the cause
#: is a data/pipeline change, the severity info (the evaluated model is not worse).
LEVEL_SHIFT_VAL_FOLLOW_SHARE = 1 / 3
#: Validation judged against the training loss's roughness (erratic validation beside a smooth
#: training loss, the batch-norm signature) must jump at least this much above its trend (+30%).
SPIKE_REFERENCE_MIN_LOG_RISE = math.log(1.3)
#: A jump that the training and the validation loss make at the same point is a spike from a lower
#: robust z in each (their noises are independent: both beyond z 3 at one point by chance is rare),
#: still with the rise each needs alone (SPIKE_MIN_LOG_RISE for training, SPIKE_REFERENCE_MIN_LOG_RISE
#: for validation). SriHarshaBoyina: training x2.7 (z 3.6 on a rough curve) and validation x1.7 (z 4.8)
#: at epoch 16, both back within 2 epochs.
SPIKE_JOINT_Z = 3.0
#: Spikes are not called in the first this fraction of the points (at least the first point): the
#: trend is not established yet (fast initial descent, warm-up, early validation swings).
SPIKE_WARMUP_FRACTION = 0.05
#: ... unless the point is at least this far above the run's first value (x3): a jump far above where
#: the run started is not the trend forming.
SPIKE_WARMUP_OVERRIDE_LOG_RISE = math.log(3.0)
#: A transient spike (it came back) is a warning only at or above this rise over its trend (x2):
#: smaller bumps cost nothing once recovered (severity follows consequence) and are info.
SPIKE_WARNING_RATIO = 2.0
#: ... or when it undid at least this share of the (log) progress made before it (epochs wasted).
SPIKE_WARNING_LOST_PROGRESS = 0.5
#: A transient spike whose peak stays below this share of the loss's start (a loss already at a
#: fraction of a percent of where it began, where a few examples double it) is not threatening the
#: run by its ratio alone: the x2 rule applies from this level up (SaiSwarna: an HF fine-tune's
#: 50-step mean at 0.0054 -> 0.0122 -> 0.0054, 0.09% of its start 13.6).
SPIKE_WARNING_MIN_PEAK_LEVEL = 0.05
#: ... and took at least this many points to come back (back at the very next point: one evaluation
#: interval lost, the final model unaffected - info).
SPIKE_WARNING_MIN_RECOVERY_POINTS = 2
#: ... and, for a spike whose cost is the progress it undid, at least this share of the curve's points:
#: the run lost the time it took to win the progress back, nothing when that is a sliver of the run.
SPIKE_WARNING_RECOVERY_SHARE = 0.05
#: A one-point spike back at the very next point in a curve of at least this many (working) points
#: is a blip in one logging interval the weights did not keep: info, whatever its ratio
#: (Priyanshisharma22: HF 50-step means at 3e-4 with isolated 0.1-0.3 logs, each back at the next).
SPIKE_BLIP_MIN_POINTS = 100
#: A spike of a binned step-level loss whose bins' MEDIAN rose by less than this share of what their MEAN
#: rose is a few outlier batches averaged into the bins (one x40 batch lifts a 30-step mean x2.3 and its
#: median not at all), not a jump of the loss: info, as a single raw outlier batch is (null runs with
#: heavy-tailed minibatch noise: benchmarks/probe_null_runs.py).
SPIKE_BATCH_MEDIAN_SHARE = 0.5
#: Bursts of a short training loss (<= SPIKE_BURST_MAX_POINTS working points) above its running
#: minimum: at least x2 above it, back as a spike recovers, and at least SPIKE_BURST_OVER_OTHER_UPS
#: times the largest upward move elsewhere in the curve (DunatosCharles: 0.70 -> 2.13, 2.38, 2.18 ->
#: 1.09 -> 0.39 after a x15 descent; the rolling median rode on the 3-epoch burst, robust z 2.8).
SPIKE_BURST_MAX_POINTS = 60
SPIKE_BURST_MIN_LOG_RISE = math.log(2.0)
SPIKE_BURST_OVER_OTHER_UPS = 2.0
#: A relapse: a training loss that had fallen below SPIKE_RELAPSE_FALL of its start jumps back to at least
#: SPIKE_RELAPSE_SHARE of it and recovers, its peak at least SPIKE_RELAPSE_OVER_OTHER times every other
#: value after the descent. Judged on the loss itself, not its log: near zero the log of a converged loss
#: swings by orders of magnitude (1e-6 .. 1e-2) that are nothing beside a return to the start.
SPIKE_RELAPSE_FALL = 0.1
SPIKE_RELAPSE_SHARE = 0.3
SPIKE_RELAPSE_OVER_OTHER = 5.0

# --- erratic validation ------------------------------------------------------------------------
#: Validation needs this many points; a jump is a point this far above its leave-one-out trend
#: (+25%) and ERRATIC_Z times the training loss's roughness at the same cadence; this many jumps
#: make a finding (one is a spike).
ERRATIC_MIN_POINTS = 6
#: Runs with 4-5 validation points: erratic when validation turns around ERRATIC_MIN_JUMPS times with
#: both moves of each turn >= x1.5 (and not shared by training: see ERRATIC_SHORT_TRAIN_RATIO).
ERRATIC_SHORT_MIN_POINTS = 4
ERRATIC_SHORT_MIN_LOG_MOVE = math.log(1.5)
#: ... each move either against training's move at the same step or this many times as large (a move
#: training shares at a similar size is the model's, not the evaluation's).
ERRATIC_SHORT_TRAIN_RATIO = 2.0
#: Runs with fewer validation points than this also count turns when the jump test finds too few (a
#: 10-epoch sawtooth 0.26, 0.40, 11.3, 2.3, 0.72, 2.4 has one up-and-back peak but three turns).
ERRATIC_TURNS_MAX_POINTS = 12
ERRATIC_MIN_LOG_JUMP = math.log(1.25)
#: Smaller repeated jumps (+15% .. +25% above both neighbours, still ERRATIC_Z times the training
#: loss's roughness) make an info finding: validation noisier than training by an order of magnitude
#: says checkpoints cannot be told apart below that level, but costs nothing by itself
#: (InquisitorNova: a regression's validation +-20% around a flat level beside a 0.5%-smooth training loss).
ERRATIC_INFO_MIN_LOG_JUMP = math.log(1.15)
#: ... and they must be common: at least this share of the validation points (a couple of 15% bumps
#: in a long run are ordinary evaluation noise).
ERRATIC_INFO_MIN_SHARE = 0.08
#: Validation whose robust roughness (log residuals from its rolling median) is at least
#: ERRATIC_NOISY_MIN_SIGMA (+-15% per point) and ERRATIC_NOISY_RATIO times the training loss's, over at
#: least ERRATIC_NOISY_MIN_POINTS points, is the same info 'noisy validation' finding even without clean
#: up-and-back peaks (a random walk around its trend: ktrl-Alt-Defeat, AleksaVukadinovic).
ERRATIC_NOISY_MIN_SIGMA = math.log(1.15)
ERRATIC_NOISY_RATIO = 8.0
ERRATIC_NOISY_MIN_POINTS = 8
ERRATIC_Z = 3.0
ERRATIC_MIN_JUMPS = 2
#: ... and at least this share of the validation points: two jumps in a hundred evaluations are
#: spikes, not a validation that cannot be trusted (Driemann: one x4 swing early and one x400 blip).
ERRATIC_MIN_SHARE = 0.03
#: Beside a rough training loss (above SMOOTH_TRAIN_MAX_SIGMA) a validation jump counts only when
#: training's own residual at that point is below this share of the jump (not a swing both made).
ERRATIC_SHARED_SHARE = 0.5
#: ... and, unless validation's own roughness is at least this many times training's, a jump must also
#: stand ERRATIC_Z times above validation's own bounce (GalexyBrain: validation bouncing ~20% beside
#: a 7%-rough training loss; its +31% bumps are its usual bounce).
ERRATIC_ROUGHER = 3.0
#: Jumps from a level below this share of validation's start are the noise of a loss near
#: convergence (a few examples move it by tens of percent), not erratic validation.
ERRATIC_MIN_LEVEL = 0.05
#: ... unless the jump climbs back to at least this share of the start: a few examples near
#: convergence move the loss by tens of percent of a small level, not back to where training began
#: (vraj590: an 8-image validation set at 0.014-0.047 jumping to 0.44 and 2.56 from a start of 0.46).
ERRATIC_SETTLED_MAX_PEAK = 0.5

#: Erratic validation whose jumps stopped (none in the last this fraction of the x range) and that
#: ends within ERRATIC_ENDS_AT_BEST_MARGIN of its best is info: the final model is the best one
#: evaluated, the jumps cost nothing (severity follows consequence).
ERRATIC_SETTLED_FRACTION = 0.25
#: Erratic validation is a warning when its largest jump is at least this many times validation's own
#: robust noise, or that noise is itself at least ERRATIC_WARNING_MIN_SIGMA (+-25% per point); below
#: both, the jumps are a steadily noisy evaluation's usual bounce: info (Pranita1297: a 1/158-step
#: classify validation bouncing ~20% with +47% peaks). 4.5: the largest up-and-back excursion of pure
#: Gaussian noise, over its robust scale, exceeds 3 in ~9-13% of curves of 8-100 points (the max of n
#: draws) and 4.5 in ~1% of curves of 20-100 points (simulated; p99 4.0-4.7) - at 3, one healthy
#: validation in ten with +-10-20% noise was a warning (issue 9, round 9).
ERRATIC_WARNING_OWN_Z = 4.5
ERRATIC_WARNING_MIN_SIGMA = math.log(1.25)
ERRATIC_ENDS_AT_BEST_MARGIN = 0.02

# --- divergence ----------------------------------------------------------------------------------
#: A training loss diverges when its last points stay above max(start, best * this factor), or when
#: its very last point alone is this factor above both its start and its best (ends far worse than untrained).
DIVERGENCE_FACTOR = 3.0
#: A loss that went non-finite and then had at least this many finite points after its last NaN/inf
#: recovered: not a blown-up run (critical) - a NaN evaluation before the model was usable, or a
#: skipped fp16 overflow (VikSn0w: YOLO-seg validation NaN at epochs 1-2, then 98 finite epochs).
DIVERGENCE_RECOVERED_POINTS = 3
#: ... and the end (median of the tail, or the last point) stands above the best by at least this many
#: times the curve's own scatter (robust sigma of its log residuals): a last-batch loss that swings x10
#: between points has a 'best' that is one lucky batch (noise model under every detector).
DIVERGENCE_NOISE_Z = 3.0
#: A logged learning rate that falls to at most this share of its peak so far and then rises again
#: started its schedule over (a new session, a warm restart): a loss far above its best after that is
#: the restart's, judged by the level-shift and spike checks, not an explosion.
DIVERGENCE_LR_RESTART_SHARE = 0.1
#: "Stays up": the last this fraction of points (at least 2) are all above the threshold.
DIVERGENCE_TAIL_FRACTION = 0.15
#: A loss that climbed back: its last points all stay DIVERGENCE_FACTOR x above its best AND their
#: median undid at least this share of the (log) progress from the start to the best - diverged even
#: when the very first logged value (an untrained loss the first interval cut 3x) stays higher.
#: (siasio's CTC fine-tune: 4x its best, 72% of the progress undone.)
DIVERGENCE_UNDONE_FRACTION = 0.5
#: A slow divergence (warning): the training loss's trend climbing since its best over at least
#: this share of the run, up at >= DIVERGENCE_CREEP_RISING_SHARE of its moves, ending >= x1.3 above
#: the best and near its top (Ggury: a LoRA loss 2.89 -> 4.40 over 1,300 of 1,500 steps).
DIVERGENCE_CREEP_MIN_FRACTION = 0.4
DIVERGENCE_CREEP_RISING_SHARE = 0.7
DIVERGENCE_CREEP_MIN_LOG_RISE = math.log(1.3)
#: A run of 3 logged points (too few for a trend or a noise scale) diverged when it rose at each point and
#: ends at least this factor above its start: no noise of 3 evaluations or minibatches reaches that
#: (DanSchum: a Transformer at Adam lr 1.0, loss ln(ppl) 9.7 -> 348 -> 642 before the overflow).
DIVERGENCE_SHORT_FACTOR = 10.0

# --- overfitting ---------------------------------------------------------------------------------
OVERFIT_MIN_POINTS = 5
#: Short runs (3-4 validation points) still get overfitting when the effect is large: GL at least
#: this, at least one point after the best, and the training loss still falling.
OVERFIT_SHORT_MIN_POINTS = 3
OVERFIT_SHORT_GL = 0.2
#: ... and a smaller rise (at least this GL) that validation made at every evaluation since its best
#: (two or more) is reported as info: an early sign, not a verdict.
OVERFIT_SHORT_EARLY_GL = 0.08
#: The rise must also exceed this many units of validation's own noise (robust residual scale).
OVERFIT_NOISE_Z = 2.0
#: That noise is the larger of the run-wide scale and the local (heteroscedastic) scale of the
#: stretch since the best point, once that stretch holds at least this many points (a noise window:
#: NOISE_WINDOW_MIN): a validation set measured on a few batches gets noisier as its loss falls, and
#: the smooth early descent pulls the run-wide scale down (JosephHuang913: run-wide 0.25 log units,
#: 0.5-0.6 over the last 50 of 132 epochs where validation wanders 0.055-0.2 around ~0.09).
OVERFIT_LOCAL_NOISE_MIN_POINTS = 9
#: Or: validation (smoothed) never improved on its first points (gain < 2%) over at least this many
#: points while the training loss fell at least 10% over the run - it learns its training set only.
OVERFIT_FLAT_MIN_POINTS = 8
#: A best point in the last this fraction of the run leaves too few points to tell a small rise
#: (GL < OVERFIT_SHORT_GL) from noise: not called.
OVERFIT_LATE_BEST_FRACTION = 0.1
OVERFIT_FLAT_MAX_LOG_GAIN = math.log(1.02)
OVERFIT_FLAT_TRAIN_MIN_LOG_DROP = math.log(1.1)
#: Points after the best validation point needed before overfitting can be called.
OVERFIT_MIN_POINTS_AFTER_BEST = 2
#: Prechelt generalization loss GL = val_recent / val_best - 1 ("recent" = median of the last
#: few points so one noisy epoch neither triggers nor hides it).
OVERFIT_GL_MIN = 0.03  # mild: validation stalled, reported as info
OVERFIT_GL_WARNING = 0.05  # Prechelt's GL5 stopping criterion
#: ... a warning at GL5 only when validation climbed at every evaluation since its best; a rise that
#: went up and down on its way is a warning from GL10 - the final model is then clearly (10%) worse than
#: the best one evaluated, the labelling protocol's "ends clearly above its minimum" (below: info).
OVERFIT_GL_WARNING_UNEVEN = 0.10
OVERFIT_RECENT_POINTS = 5
#: Runs with at least this many validation points also judge the rise from the level around the best
#: (median of this fraction of the points centred on it) against OVERFIT_NOISE_Z standard errors: the
#: lowest of a hundred noisy points sits well under the curve's level.
OVERFIT_LEVEL_MIN_POINTS = 40
OVERFIT_LEVEL_FRACTION = 0.1
#: Validation that rose at every one of at least this many moves since its best is a climb, not
#: noise (all up by chance: 1 in 2^4): its recent level is its last point, not a median reaching back
#: to the best (MridulHu: 43.36 best, then up at each of 5 epochs to 48.46).
OVERFIT_CLIMB_MIN_MOVES = 4
#: The training loss must keep falling after the best validation point (log drop, 0.04 = 4%).
OVERFIT_TRAIN_MIN_LOG_DROP = math.log(1.04)
#: ... or fall at least this much (1%) on a trend at least OVERFIT_TRAIN_STEADY_T standard errors below
#: flat over at least OVERFIT_TRAIN_STEADY_MIN_POINTS points since the best: still fitting, measured
#: against its own noise (a full-batch loss creeping down at every epoch is not flat).
OVERFIT_TRAIN_STEADY_MIN_LOG_DROP = math.log(1.01)
OVERFIT_TRAIN_STEADY_T = 3.0
OVERFIT_TRAIN_STEADY_MIN_POINTS = 8

# --- inverted gap --------------------------------------------------------------------------------
#: Validation counts as below training when val < train * (1 - margin).
INVERTED_MARGIN = 0.02
#: Fewest aligned points, and the share of them that must be inverted, for a finding.
INVERTED_MIN_POINTS = 2
INVERTED_MIN_FRACTION = 0.3
#: ... and at least this many inverted points (fewer when fewer are aligned): one evaluation below
#: training is a coincidence of noise, not a gap.
INVERTED_MIN_INVERTED = 2
#: "Early only": no inversion in the last this fraction of the run.
INVERTED_LATE_FRACTION = 0.34
#: A training-time effect (dropout, penalty, augmentation) also explains an underfitting finding when
#: validation stays below the reported training loss at the end and at >= this share of the late points.
REGULARIZED_UNDERFIT_LATE_FRACTION = 0.5
#: Validation falling at >= this share of its moves over the second half of the run (at least
#: UNDERFIT_STILL_FALLING_MIN_MOVES moves) is still improving: an underfitting finding there is info
#: (arthuribias: an LM fine-tune starting near its floor, eval loss down at each of 45 evaluations).
UNDERFIT_STILL_FALLING_SHARE = 0.8
UNDERFIT_STILL_FALLING_MIN_MOVES = 5
#: Without a validation loss or a training accuracy, a validation metric logged >= this many times that
#: never beat its first value by more than UNDERFIT_METRIC_MIN_GAIN of its scale (or is 0 throughout) is
#: the evidence that a training loss that barely moved is a model that learns nothing (MonashAIM: Dice 0).
UNDERFIT_METRIC_MIN_POINTS = 3
UNDERFIT_METRIC_MIN_GAIN = 0.01
#: A model with a bounded validation metric (accuracy, mAP, F1 in [0, 1], higher is better) ending at
#: this or more fits its task: a training loss that barely moved sits at the task's floor (a
#: pre-trained detector fine-tuned at mAP50 0.97), so an underfitting finding is info.
UNDERFIT_METRIC_CEILING = 0.9
#: A metric that never improved is "stuck at its worst" within this share of the bad end of its range
#: ([0, 1], or [0, 100] for percents): accuracy/Dice <= 0.1, an error rate >= 90%.
UNDERFIT_METRIC_WORST_SHARE = 0.1
#: Underfitting is a warning only on a training curve of at least this many points (fewer: info,
#: unless a validation metric shows nothing was learned).
UNDERFIT_WARNING_MIN_POINTS = 6
#: ... and a training loss falling at nearly every point of its second half is still learning when that
#: half took at least this much off (a converged exponential creeping down 0.2% is not).
UNDERFIT_STILL_MIN_LOG_DROP = math.log(1.03)
#: Validation "learned something" when its best stands below its first points by at least this many of
#: its own move-to-move standard deviations, and by at least UNDERFIT_VAL_IMPROVED_MIN_LOG_DROP.
UNDERFIT_VAL_IMPROVED_Z = 3.0
UNDERFIT_VAL_IMPROVED_MIN_LOG_DROP = math.log(1.005)
#: ... or its second half's least-squares trend (log loss) falls at least this many standard errors
#: below zero (noise breaks the count of down-moves, not the trend).
UNDERFIT_STILL_TREND_T = 3.0
#: ... and then fell at least this much over the second half: a crawl of a few percent beside a noisy
#: count of down-moves is a model converging on a high floor, not one still learning.
UNDERFIT_STILL_TREND_MIN_LOG_DROP = math.log(1.1)
#: A loss that barely moved is pinned at chance when it ends within this share of ln k (a stuck model sits
#: there to 4+ digits; 1% would catch a fine-tune landing near ln k by coincidence), k <= the max
#: (ln 2 = 0.693 ... ln 20 = 3.0; above 20 classes the ln k sit closer than the tolerance).
UNDERFIT_CHANCE_TOLERANCE = 0.0005
#: ... except ln 2 = 0.693, the loss every stuck binary classifier prints: a model whose outputs wander a
#: little around 0.5 sits within 1% of it (0.686-0.700) rather than to 4 digits, and no other ln k is near
#: (ln 3 = 1.099). LE-WH (dev): 0.6938 -> 0.6888 over 50 epochs of a stock up/down classifier, read as 'LR
#: too low' with no chance reading.
UNDERFIT_CHANCE_BINARY_TOLERANCE = 0.01
#: ... and pinned there: at least this share of the second half's values within that 1% too.
UNDERFIT_CHANCE_PINNED_SHARE = 0.8
UNDERFIT_CHANCE_MAX_CLASSES = 20
#: Half-interval shift test: the inversion is explained by averaging lag when, after comparing the
#: reported loss with validation half an interval earlier, at most this share stays inverted.
LAG_EXPLAINED_MAX_REMAINING = 0.25
#: true_train_loss above val in at least this share of points (and at the end) = data mismatch.
MISMATCH_TRUE_ABOVE_FRACTION = 0.5
#: The run's first measurement counts as "before learning" when it is within this fraction of
#: the x range (step-level logs that validate at step 0).
EARLY_X_FRACTION = 0.02
#: ... and not when the training loss logged up to that first validation's step already fell this much
#: (x1.25): a gap there is measured after learning, not between two untouched data sets.
GAP_LEARNED_BEFORE_VAL_LOG_DROP = math.log(1.25)

#: Like with like: with a step-level training loss, validation is compared with its mean over the
#: last this fraction of each evaluation interval (at least LIKE_MIN_STEPS steps) - the weights
#: that were evaluated - instead of the interval mean, which lags half an interval behind.
LIKE_WINDOW_FRACTION = 0.2
LIKE_MIN_STEPS = 3
#: ... and, a mean of a few minibatch losses being noisy, a point counts as inverted only when the gap
#: (log) exceeds this many standard errors of that window mean (robust point-to-point scale / sqrt(steps)).
INVERTED_NOISE_Z = 2.0

#: A training loss with at least this many rows per distinct (whole) epoch value, whose steps tell every
#: row apart, is read on its steps: the epoch column is a completed-epoch counter, not its position.
EPOCH_AXIS_MAX_ROWS_PER_VALUE = 5

# --- plateau / underfitting / lr too low -----------------------------------------------------------
#: A window (this fraction of the run, at least PLATEAU_MIN_POINTS) with less than
#: PLATEAU_MAX_LOG_PROGRESS relative improvement of the smoothed loss is a plateau.
PLATEAU_WINDOW_FRACTION = 0.25
PLATEAU_MIN_POINTS = 4
PLATEAU_MAX_LOG_PROGRESS = math.log(1.01)
#: ... or, on a noisy curve, less than this many standard errors of its smoothed trend's difference
#: (noise model), capped: a move this large is never "flat".
PLATEAU_NOISE_Z = 2.0
PLATEAU_MAX_NOISE_TOLERANCE = math.log(1.3)
#: A plateau that starts in the first this fraction of the run means training never got going.
PLATEAU_EARLY_FRACTION = 0.15
#: ... and only if the loss had not yet fallen by more than this (log) when the plateau began.
PLATEAU_EARLY_MAX_LOG_DROP = math.log(1.15)
#: ... and only if the log covers the start of training: a log whose first point lies past this share
#: of its last x (epochs 143-150 of a Colab output cut to its last lines) is a late fragment.
PLATEAU_LATE_START_SHARE = 0.5
#: ... and only if no logged validation metric (accuracy, IoU, mAP ...) improved across the flat stretch
#: by at least this share of its level (and beyond its own noise): the model was still learning.
PLATEAU_METRIC_MIN_GAIN = 0.05
#: ... and only if the flat level is above zero: a non-negative loss whose flat stretch sits at or below
#: this share of its largest value has reached its floor.
PLATEAU_ZERO_LEVEL_SHARE = 0.01
#: Underfitting: the training loss ends above this share of its start ...
UNDERFIT_MIN_REMAINING = 0.55
#: ... and validation within this relative distance of it (no generalization gap to speak of).
UNDERFIT_MAX_REL_GAP = 0.15
#: ... or the training accuracy (if logged, in [0, 1]) ends below this.
UNDERFIT_MAX_TRAIN_ACC = 0.75
#: A training loss whose level (a rolling median over a tenth of the run) once sat this many times below
#: where it ends was fitted and then lost: the model can fit; the rise is the divergence or level-shift
#: checks' to judge, not a model too small.
UNDERFIT_RELAPSE_RATIO = 1.5
#: Underfitting is a warning only with a low training accuracy, or when the loss ends at or above
#: this share of its start (it never really learned, whether or not it still creeps down); otherwise info (a loss may settle
#: at its task's floor, and one still falling just needs more training).
UNDERFIT_STUCK_REMAINING = 0.9
#: A validation loss whose whole span over at least UNDERFIT_FROZEN_MIN_POINTS evaluations is below this
#: share of its level never moved: the model's outputs on validation never changed (a model that learned
#: nothing the task measures, or an evaluation that ignores the model).
UNDERFIT_FROZEN_MAX_SPAN = 1e-4
UNDERFIT_FROZEN_MIN_POINTS = 5
#: lr_too_low: still improving at the end at this fraction (or more) of its early rate of progress
#: (a loss that never bends) while having covered little ground.
LR_LOW_MIN_SLOPE_RATIO = 0.35
#: Learning rates below this are "small" for SGD-style optimizers; Adam-style below a tenth of it.
LR_SMALL_SGD = 1e-3
LR_SMALL_ADAM = 1e-4

# --- oscillation ---------------------------------------------------------------------------------
OSCILLATION_MIN_POINTS = 8
#: Share of consecutive differences that alternate in sign (iid noise gives about 2/3).
OSCILLATION_MIN_ALTERNATION = 0.6
#: ... or: a falling loss that goes *up* at this share of its moves (smooth descents rarely do).
OSCILLATION_MIN_UP_FRACTION = 0.3
#: Typical upward swing (median rise of log-loss) at least this big ...
OSCILLATION_MIN_LOG_SWING = math.log(1.08)
#: A falling loss that goes up at OSCILLATION_MIN_UP_FRACTION of its moves, whatever the period
#: (momentum ringing spans several points), by at least this much (median rise) is bouncing.
OSCILLATION_BOUNCE_MIN_LOG_SWING = math.log(1.05)
#: ... and at least this multiple of the net progress per point (a loss falling 10% per point with
#: 5% bumps is descending well, not bouncing).
OSCILLATION_BOUNCE_OVER_TREND = 1.0
#: ... or: a loss whose total climb (sum of its rises) is at least this share of its net change, with
#: the typical rise as above (a short run's up-move count is too coarse: 4 of 14 moves is 29%).
OSCILLATION_MIN_CLIMB_SHARE = 0.3
#: Alternating swings at least this multiple of the net trend progress per point (no trend to speak of).
OSCILLATION_SWING_OVER_TREND = 3.0
#: A stretch that ends above its start must also reverse at this share of its moves or more to be a
#: swing (a loss exploding at nearly every move reverses at ~8%: that is divergence, not oscillation;
#: a damped ringing that ends lower may reverse less - period 13: ~15%).
OSCILLATION_MIN_REVERSALS = 0.2
#: Swinging means repeatedly: at least this many rises of the visible size (OSCILLATION_BOUNCE_MIN_LOG_SWING
#: for a bouncing descent, OSCILLATION_MIN_LOG_SWING for flat swings) in the judged stretch. Two bumps in
#: a 15-epoch run are two bumps (AVINASHGK16: rises of +5.0% and +17% among small moves), not an LR
#: that overshoots every step.
OSCILLATION_MIN_RISES = 3

#: Severity follows consequence. A bouncing loss is a warning (LR too high) only when it costs
#: something: its trend still sits above this share of its start (a loss at 1-5% of its start that
#: moves +-20% is converged noise) ...
OSCILLATION_HARM_MIN_REMAINING = 0.2
#: ... unless its typical rise (median of its up-moves) is at least this factor: a few examples move a
#: loss near convergence by tens of percent, not x2 and more at a typical swing (nogibjj: a first epoch
#: 25x the second made swings of x3-x30 between 367 and 11,449 read as 'at 4% of its start').
OSCILLATION_CONVERGED_MAX_LOG_RISE = math.log(2.0)
#: ... and, when validation is logged, validation swings at least this share as much as training
#: (the instability reaches the model that is evaluated) or a validation metric gets worse.
OSCILLATION_VAL_SHARE = 0.5
#: Without validation, swings of a loss whose least-squares trend (log loss, over the judged stretch)
#: still falls at least this many standard errors below zero are info: learning has not stopped.
OSCILLATION_STILL_FALLING_T = 3.0
#: ... and that fell over the stretch by at least this many of its typical (median) rises: the descent
#: dominates the swings (a healthy log bouncing 8-13% fell 3.8-4.4 rises; +-18% period-2 bounces 2.4).
OSCILLATION_PROGRESS_OVER_RISE = 3.0
#: Without validation, swings whose residuals about the stretch's robust (Theil-Sen) trend change sign
#: as often as independent scatter does - within this many standard errors of half the consecutive
#: pairs - are info: patternless scatter about a level is what measurement noise looks like, while an
#: LR bouncing the weights alternates every point (period 2) or rings (momentum, long runs of one sign).
OSCILLATION_STRUCTURE_Z = 2.0
#: Swings whose size does not shrink while the logged LR decays are not the LR's doing: the LR must fall
#: at least this factor over the swinging stretch (its first quarter's peak against its last quarter) ...
OSCILLATION_LR_DECAY = 4.0
#: ... and the median move at the lower half of the LR values be at least this share of the median move
#: at the upper half (an LR-driven bounce at half the step size is roughly half the size).
OSCILLATION_LR_SWING_SHARE = 0.75
#: Swings whose climb (the sum of the loss's up-moves) came at least this share in moves where the logged
#: learning rate went up are the schedule's (warm restarts, cyclic LR): info (null runs, SGDR with its LR
#: logged: benchmarks/probe_null_runs.py).
OSCILLATION_RESTART_SHARE = 0.8
#: ... and with no LR logged, a sawtooth: the climb in sharp rises each followed by at least this many
#: points before the next, every cycle reaching a lower low (SGDR without its LR in the log).
OSCILLATION_SAWTOOTH_MIN_FALL = 3
#: ... and, where both are logged at the same points, swings WITH training: the correlation of their
#: point-to-point log moves at least this (an unstable LR moves the weights, so the evaluated model
#: gets worse at the same epochs; independent evaluation noise of the same size does not), and at
#: least OSCILLATION_SHARED_CORR_Z standard errors of a chance correlation over the n moves (z / sqrt(n)).
OSCILLATION_MIN_SHARED_CORR = 0.2
OSCILLATION_SHARED_CORR_Z = 1.65
#: The correlation test needs this many shared moves (fewer: it has no power, the size rule alone decides).
OSCILLATION_SHARED_MIN_MOVES = 10
#: A training loss read on epochs was logged on a step schedule (single-batch values, not epoch means)
#: when at least this share of its consecutive points share an epoch, or they sit > 1 epoch apart.
OSCILLATION_STEP_LOGGED_SHARE = 0.5
#: Spread of the per-example loss relative to its mean, assumed when a point's sampling noise is
#: worked out from what it averages (batch size x steps between logged points: HF's logging_steps):
#: the mean of n examples moves by ~CV/sqrt(n) between points by chance alone. About 1 for a
#: cross-entropy (roughly exponential per example); the swings must exceed 3x that noise to count.
OSCILLATION_EXAMPLE_CV = 1.0

# --- noise model -----------------------------------------------------------------------------------
#: Local (trailing) window for the per-point noise scale: this fraction of the run, at least the minimum.
NOISE_WINDOW_FRACTION = 0.2
NOISE_WINDOW_MIN = 9
#: The local scale never falls below this share of the run-wide scale.
NOISE_GLOBAL_SHARE = 0.5
#: A validation metric "corroborates" a move when it changes by at least this many noise units.
METRIC_CORROBORATE_Z = 2.0
#: A validation metric "held" when it ends no more than this many noise units (its point-to-point
#: noise after the loss's best) worse than at the loss's best: then a mild overfitting (GL below
#: METRIC_RISE_WARNING) left the final model no worse at the task, and is info.
METRIC_HELD_Z = 1.0

# --- shuffling -----------------------------------------------------------------------------------
#: Need at least this many full epochs and steps per epoch at step level.
SHUFFLE_MIN_EPOCHS = 3
SHUFFLE_MIN_STEPS_PER_EPOCH = 8
#: Phase bins within an epoch.
SHUFFLE_PHASE_BINS = 16
#: Share of the detrended step-loss variance explained by the position within the epoch (eta^2).
SHUFFLE_MIN_ETA2 = 0.12
#: ... and at least this multiple of what noise alone explains with B bins and N steps ((B-1)/(N-1)).
SHUFFLE_ETA2_OVER_NOISE = 5.0
#: ... and the same phase profile must repeat: median correlation of each epoch's profile with the
#: next one's (of the two halves' profiles when too few epochs fill every phase bin).
SHUFFLE_MIN_REPEAT_CORR = 0.5
#: ... or a profile repeating almost exactly (shuffled epochs' profiles are independent) that explains
#: at least this multiple of the noise share, and this floor.
SHUFFLE_STRONG_REPEAT_CORR = 0.8
SHUFFLE_STRONG_ETA2_OVER_NOISE = 2.0
SHUFFLE_STRONG_MIN_ETA2 = 0.05
#: ... with the phase means swinging at least this much within the epoch (+5%; relative).
SHUFFLE_STRONG_MIN_SWING = 0.05
#: ... and the pattern must live inside the epochs: on the loss minus each epoch's own mean (first
#: epoch left out) the phase bins still explain at least this share of what was needed (a staircase -
#: a small set memorised, the loss stepping down at each epoch boundary - leaves nothing: 29aitch).
SHUFFLE_WITHIN_EPOCH_SHARE = 0.5

# --- metric disagreement -------------------------------------------------------------------------
#: Validation loss up at least this much (log) from its best while the metric improved by at least
#: METRIC_MIN_IMPROVEMENT (relative) since the loss's best point.
METRIC_LOSS_MIN_LOG_RISE = math.log(1.05)
METRIC_MIN_IMPROVEMENT = 0.005
#: ... and by this many standard errors of the metric's point-to-point noise.
METRIC_NOISE_Z = 2.0
#: A metric that moves on a grid (accuracy over N validation examples moves in steps of 1/N) must
#: gain at least this many grid steps: one example more right of a few hundred is not an improvement
#: (image_bind: top-1 0.0482 -> 0.0526, one example of 228, while top-5 fell 0.417 -> 0.386).
METRIC_MIN_GRID_STEPS = 2
#: While the metric improves, a validation-loss rise below this (+25%) costs nothing: overfitting and
#: metric disagreement are info; above it the outputs are badly calibrated and both are warnings.
METRIC_RISE_WARNING = 0.25

# --- calibration -------------------------------------------------------------------------------
# Cause confidences are not thresholds: raw rule scores become probabilities through the table
# fitted on the dev splits in calibration.py (benchmarks/fit_calibration.py).

# --- verdict -------------------------------------------------------------------------------------
#: Two causes within this confidence of each other tie: the verdict names both (and what separates them).
CAUSE_TIE_MARGIN = 0.05
#: A leading cause whose calibrated probability is below this is more likely wrong than right: the verdict
#: leads with the finding and names the cause after it as a possibility.
VERDICT_CAUSE_MIN_CONFIDENCE = 0.5
#: A loss series needs at least this many finite points to be a curve at all (fewer: nothing to diagnose).
MIN_CURVE_POINTS = 3

# --- causes --------------------------------------------------------------------------------------
#: An LR increase by at least this ratio within LR_LOOKBACK_FRACTION of the run (at least one
#: point) before a spike makes it an overshoot.
LR_INCREASE_RATIO = 1.2
LR_LOOKBACK_FRACTION = 0.05
#: Batch sizes below this are "small" for batch-norm statistics.
SMALL_BATCH = 32
#: A validation accuracy that only ever takes values k/N for some N at most this (0.625, 0.875, 1.0:
#: N = 8) was measured on about N examples: a validation set that small makes evaluations jump
#: (eval_noise, measured). At least TINY_VAL_MIN_POINTS accuracy points with >= 2 distinct values.
TINY_VAL_SET_MAX = 50
TINY_VAL_MIN_POINTS = 4
#: Validation spikes with a training loss at most this rough (robust sd of log residuals) are
#: "val-only" (training smooth).
SMOOTH_TRAIN_MAX_SIGMA = 0.05
#: Leakage: validation within this log distance of the true training loss (median over the run) ...
LEAKAGE_MAX_LOG_DISTANCE = 0.1
#: ... all the way down to memorisation level: true training loss below this share of its start. A
#: well-fitted model on an easy task is not memorised: a digits MLP at 97% training accuracy sits at
#: ~4% of its starting cross-entropy with validation within 10% of it (generated dev-60018, a healthy
#: run told 'data mismatch' at 5%); the leakage preset's model, which has memorised its copies, is at ~0.2%.
LEAKAGE_MEMORISED_FRACTION = 0.01
#: The cause numbers below compare the rules' raw scores (before calibration).
#: Causes that only explain 'info' findings count this much when the run has warning/critical ones
#: (an inverted gap explained by dropout is not what is wrong with a diverging run).
INFO_ONLY_CAUSE_WEIGHT = 0.5
#: An inverted gap is a warning (not "info") when data mismatch/leakage explains it at least this
#: confidently, even if a harmless cause ranks above it.
MISMATCH_WARNING_CONFIDENCE = 0.6
#: A harmless cause explaining only findings that a harmful cause (>= MISMATCH_WARNING_CONFIDENCE)
#: also explains is ranked at least this much below it.
HARMLESS_BELOW_HARMFUL = 0.05
#: Causes below this confidence are not listed: near-noise guesses (e.g. a no-context prior for
#: batch-norm noise at 0.15 when nothing says the model has batch norm) would only dilute the list.
MIN_CAUSE_CONFIDENCE = 0.2

# --- spike working resolution ---------------------------------------------------------------------
#: Spike detection runs on at most this many bin means: single noisy minibatches in a step-level
#: loss are not spikes; a rise that lasts at least ~1/500 of the run is.
SPIKE_MAX_POINTS = 500

#: Eval-mode blow-up: the true training loss (the training data scored in eval mode) at least this many
#: times the reported (train-mode) loss over the second half of the run. Dropout, augmentation and
#: penalties all make the reported loss the *higher* one; weights, LR and data are the same in both
#: modes - only what behaves differently in eval mode (batch-norm running statistics) is left.
EVAL_MODE_GAP_RATIO = 3.0
#: ... while the reported loss ends within this factor of its best level (training itself did not blow up).
EVAL_MODE_TRAIN_HELD = 1.5
