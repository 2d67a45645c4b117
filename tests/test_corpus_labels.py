"""The real-log corpus (tests/data/corpus, see its README.md) is well formed.

Every LABELS.tsv row names a stored file with its source repository and commit, uses only the
diagnosis vocabulary, sits in the split its repository hashes to (so no repository is in both dev
and test), and the file loads through ``trueloss_dash.ingest``. Files labelled
``nothing_to_diagnose`` may instead be refused with a :class:`LogFormatError` (a file with no curve
is allowed to be refused). Only the loader runs here - never the diagnosis, whose accuracy on this
corpus is measured by ``benchmarks/eval_diagnosis.py``.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest

from trueloss_dash.columns import LOSS_SERIES
from trueloss_dash.diagnose.model import CAUSE_IDS, FINDING_KINDS
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path
from trueloss_dash.roles import ROLELESS_WARNING, roleless_losses

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
LABELS = CORPUS / "LABELS.tsv"
COLUMNS = ["file", "repo", "commit", "source_path", "split", "expected_finding", "acceptable_causes", "also_ok", "reason"]

# Kinds being added for issue 9 by the diagnosis work; accepted here before they land in FINDING_KINDS.
NEW_KINDS = {"erratic_validation", "level_shift", "nothing_to_diagnose"}
EXPECTED_VOCAB = set(FINDING_KINDS) | NEW_KINDS | {"healthy"}
ALSO_OK_VOCAB = set(FINDING_KINDS) | NEW_KINDS

# CatBoost's train_dir (catboost_info/): per-iteration learn_error.tsv (+ test_error.tsv when an eval set was given).
# Files whose format has no reader in trueloss_dash.ingest yet (file -> what is missing). Each one is
# expected to fail today; when its reader lands the xfail turns into a pass and the entry goes.
PENDING_READERS: dict[str, str] = {
    "Asal-FaMo__GANs/training.log": (
        "GAN epoch lines '[001/100] D: 0.6426 | G: 0.8379 | g_lr=0.000200 | d_lr=0.000025' under a header line "
        "'epoch | d_loss | g_loss | g_lr | d_lr': loads D, G, g_lr, d_lr, but 'D' / 'G' are not recognised as losses "
        "(the header that names them d_loss / g_loss is skipped as prose); once read, a GAN's pair is role-less by design"
    ),
    "DandaAkhilReddy__enzyme-gcn-classifier/training_output.log": (
        "a space-padded console table under a banner ('Epoch    Train Loss   Train Acc    Test Loss    Test Acc     Time' "
        "then rows '10       1.7038       0.2646       1.7079       0.2458       0.44    s', 21 rows): the table is not read; "
        "only the final 'Test Loss: 1.2912' line is, so it is refused as 'fewer than 3 points (val_loss: 1 point)'"
    ),
    "Qidian213__StereoNet/training.log": (
        "StereoNet iteration lines '[2019-03-25 15:16:28 main8Xmulti.py:176] INFO     Epoch9 [100/7876] Stage 0 = 3.36(6.01)	"
        "Stage 1 = 2.31(4.89) ...' (four stage losses, each the batch value with the running epoch mean in brackets, no "
        "'loss' word) under a config banner: refused as 'unknown log format'"
    ),
    "uteschiehlen__dlcv_visnav/training.log": (
        "Python-logging tuples 'INFO:root:(datetime.datetime(2017, 7, 19, 15, 49, 31, 910200), 0, 0.001, 43.49)' - epoch, "
        "lr and loss as the last three fields of a logged tuple, no names: read as a comma-separated table whose header "
        "is the first tuple and refused as 'no loss series found'"
    ),
    "loaiabdalslam__AUL/training.log": (
        "brain.js log4js lines '[2019-09-13T19:12:07.769] [DEBUG] training - iterations: 10, training error: 0.2329' "
        "(three interleaved trainings logging the same iteration, 10..1150): refused as 'unknown log format' - "
        "'training error' is no loss alias"
    ),
    "Goraniiii__VisDrone/train_log.txt": (
        "Ultralytics 8.4 console capture (PyCharm run: interpreter path first, then the model table, then per-epoch "
        "'1/30  7.76G  1.894  1.984  1.059  216  640: 100% ...' rows under an 'Epoch GPU_mem box_loss cls_loss dfl_loss' "
        "header and 'all 548 31295 P R mAP50 mAP50-95' validation rows): refused as 'unknown log format'"
    ),
    "Chenghao-Qiu__TJU-ProteinDesignCompetition/training_log.txt": (
        "'Epoch 1: MSE = 1.2042582364062115, MAE = 1.0654' lines (a Keras callback's validation MSE, three fine-tune "
        "phases whose epoch counter restarts) under a 'New Training Session' banner: refused as 'unknown log format' - "
        "'MSE' is no loss alias (as EwanpenfoldPlymouth's 'mse')"
    ),
    "ronaldochiavegatti__vocal-anomaly-detection-mlp/train_log.txt": (
        "5 k-fold runs that each log only epochs 1 and 10 ('Epoch   1: train_loss=1.4601 ... val_loss=1.3323'): "
        "refused as 'fewer than 3 points' per run, although all five folds show the same x2-3 validation rise "
        "(the label is overfitting with nothing_to_diagnose in also_ok)"
    ),
    "gloria-yq__PINN-TFT/train_log.txt": (
        "Python-logging lines '[Train] epoch:1, lr:0.0001, data:0.41, PDE:0.018, phys:0.014, total:0.427' and "
        "'[Valid] epoch:1, MSE: 0.363' after an 'Args:' banner: refused as 'unknown log format' (first line "
        "'... - INFO - Args:')"
    ),
    "HuStanding__NER_IDCNN_CRF/train.log": (
        "same 'iteration:N step:a/b, NER loss:x' NER console log as ColionX__NER_New: the sole 'NER loss' curve "
        "gets no training-loss role (one run of 82 points since stop 24, no longer cut at every epoch's step restart)"
    ),
    "ColionX__NER_New/train.log": (
        "'iteration:N step:a/b, NER loss:x' console lines (a TF NER script's logger): the one curve loads as "
        "'NER loss' and gets no training-loss role - a sole task-prefixed loss in a console log is not yet "
        "taken as the training loss"
    ),
    "MalinaEverfree__DeepTrack-AI-Particle-Tracking/training_log.json": (
        "a bare JSON list of 101 numbers (json.dump(loss_history): the last epoch's per-batch losses and its mean): "
        "loads as one unnamed curve 'training_log' (the bare-numbers reader reads the array) with no role: the file name "
        "names none and the curve does not fall (median 0.00206 over its first third, 0.00225 over its last: one epoch's "
        "batch losses), so the lone-curve rule rightly does not call it the training loss"
    ),
    "Aedo119__gcp-pose-estimation/training_log.json": (
        "list of per-epoch records with nested phase dicts {epoch, train: {total, keypoint, classification, ...}, "
        "val: {total, ...}} (the summed loss is called 'total'): flattened to train/total, val/total, but refused as "
        "'no loss series found'"
    ),
    "BootDevEnjoyer__Asteroids/training_log.json": (
        "RL log {sessions: [{start_time, episodes: [{episode, reward, loss, learning_rate, ...}]}]} (per-episode "
        "records two levels down, the episode counter restarting 4 times): refused as 'only x-axis columns ()'"
    ),
    "Edwin-Viju__Face-Trace/training_log.json": (
        "run config scalars beside one list 'loss_history' (20 ArcFace training losses): loads, but 'loss_history' "
        "gets no loss role"
    ),
    "Cass490__Qft-eeg/training_history.json": (
        "dict of two model-named lists {Quantum_QVAE: [...], Classical_AE: [...]} (150 training losses each, two "
        "models compared, no 'loss' word in any key; the file name says 'history'): refused as 'no loss series found'"
    ),
    "AbhijnasriBS__Investigation-of-Near-accident-Car-driving-Scenario-ML/training_history.json": (
        "dict of lists named coil_train_losses / coil_val_losses (a model prefix and plural 'losses') beside a "
        "best_val_loss scalar: loads, but no series gets a loss role"
    ),
    "FranciscoREchevarria__Avance-5/version_15_metrics.csv": (
        "Lightning metrics.csv whose every column carries a stage prefix 'finetuning/' (finetuning/train_loss_epoch, "
        "finetuning/train_loss_step, finetuning/val_loss): loads, but no series gets a loss role"
    ),
    "hamin-shim__unetBasic/train_log.txt": (
        "per-batch running SUMS '[i/251] running loss of epoch e is : s' (train pass of 251 batches, then a 32-batch "
        "validation pass with the same line format, no phase marker): refused as 'unknown log format'; the epoch "
        "value is the last sum divided by the batch count, and the batch total tells train (251) from validation (32)"
    ),
    "Chen-chen680__StockAnalysis/loss.csv": (
        "one column of 300 numbers under a header 'loss' + the GBK bytes d6 b5 ('loss\u503c', 'loss value'); those two bytes are "
        "also valid UTF-8 (U+05B5, a Hebrew vowel point), so the file IS valid UTF-8 and the GBK fallback of source.py never "
        "applies: refused as 'unknown log format (first line 'loss\u05b5')'; needs mojibake repair (a combining mark glued "
        "to a Latin name) or reading the header as 'loss' with its stray mark"
    ),
    "jeromeyoon__SNnet/val_log.txt": (
        "validation lines 'errG: 5.5086 errL2: 878.1151 errEI: 374.5295 errang: 735.2672 errsum 740.7758' (error "
        "terms named err*, no 'loss' word, 'errsum' without a colon): refused as 'unknown log format'"
    ),
    "And1210__FER_SSL/train.out": (
        "console log whose only loss lines are per-iteration '[epoch: 1/200, iter: 25/489] total: 1.55' (the loss is "
        "named 'total', no 'loss' word) beside 'Validation accuracy: 0.44' epoch lines: refused as 'unknown log format' "
        "('its console lines hold values ('total' 306 times) but none is named as a loss', stop 24) - kept a refusal: a "
        "lone 'total' may be a count ('Epoch 1 Total:551')"
    ),
    "SergeiNikolenko__gat/train.out": (
        "Lightning console that prints only EarlyStopping lines 'Metric val_loss improved by 0.004 >= min_delta = 0.0. "
        "New best score: 0.028' (7 of them, no epoch numbers): refused with a sentence ('only early-stopping messages ... "
        "each is the best val_loss so far, with no epoch - a record of improvements, not a curve'); reading the bests as "
        "a validation curve would show a loss that can only fall"
    ),
    "capstone-fall2021__lung_nodule_segmentation/train.out": (
        "sentences 'Epoch 0 trained with loss: 0.0196. The running time is 4073.9.' and 'Epoch 0 evaluated with "
        "loss: 0.00034, dice score: 1.1e-05. ...' (the phase is a verb, 'trained' / 'evaluated'): refused as 'unknown "
        "log format'"
    ),
    "Darmasus__Darma/train.out": (
        "compression-model lines '[ep 0 step 20 t= 43s vram= 5904MB] L=0.1200  D=0.1129  PSNR= 9.47  R=0.5510 bpp' "
        "(the loss is 'L=', distortion 'D=', rate 'R='): loads, but no series is recognised as a loss"
    ),
    "Seongbeom-Park__Earthquake/history_train.csv": (
        "headerless 4-column CSV 'step,arrival_loss,center_loss,mag_loss' (the names are in the repository's earthquake.py, "
        "not in the file; 50 epochs of three head losses): loads as column_1..column_4 and no series gets a loss role "
        "(as LachlanGibson__CapsNet, no reader can tell which column is a loss without the names)"
    ),
    "basameera__NIPS_week_2_3/train_log.json": (
        "not valid JSON - a hand-written dict of epochs {\"ep1\": {0:575981.94, 1:464670.47, ...}, 'ep2': {...}} (integer keys, "
        "single and double quotes; 4 epochs x 100 per-iteration losses): read as a Python dict literal since round 19 and "
        "refused as 'no loss series found; columns are [ep1/0, ep1/1, ...]' - the 'i:value' entries under 'epN' keys are "
        "not read as a curve"
    ),
    "DINESHDHAKAR1__BTP-keyword_spotting-in-speech/training_logs.txt": (
        "Python-logging 'Epoch 1/10, Classification Loss: 3.2450, Denoising Loss: 2071.2359, Accuracy: 7.69%' lines (a "
        "classifier's loss beside an auxiliary denoising loss, no total) with 'Test Accuracy' on the next line: loads, but "
        "neither 'Classification Loss' nor 'Denoising Loss' gets a loss role"
    ),
    "Hajar-Akif__Koala-Instance-Segmentation-using-Mask-R-CNN/training_logs.txt": (
        "a Keras history printed as 'key: [v1, v2, ...]' lines (loss, val_loss and 10 Mask R-CNN head losses, 10 epochs "
        "each): read as a one-column CSV whose header is the first line and refused ('row 2, column \'loss: "
        "[1.015063498020172\': found ... expected a number')"
    ),    "WTT-software__LightGCN/training_logs.txt": (
        "Polish console lines 'Epoka    8 | Krok  200/356 | Loss (ostatni batch): 0.2129' and '[Epoka   16] \u015aredni loss: "
        "0.1664' ('mean loss', 50 epochs): loads 'Epoka' and '\u015aredni loss', which gets no training-loss role (the "
        "per-batch 'Loss (ostatni batch)' lines are not read)"
    ),
    "GulzarJS__AI_Cleveland_Heart_Disease/training.out": (
        "headerless two-column rows '0,0.15802942' (epoch, training cost of a hand-written Java network; 400 rows, the "
        "meaning only in the repository's MainClass.java / NeuralNet.java): loads as column_1 / column_2 and no series "
        "gets a loss role (as Seongbeom-Park__Earthquake)"
    ),
    "faxmishok__AI_heart-disease-prediction-pw7/training.out": (
        "a tab-separated table whose header is a comment line '#Epoch\tTraining Error\tTesting Error' (1000 rows): the "
        "'#' header is skipped, the columns load as column_2 / column_3 and get no loss role ('Training Error' / "
        "'Testing Error' would name the training and validation loss)"
    ),
    "jigarborad__automated_visual_inspection/training_logs.txt": (
        "a comma-separated 'Epoch, Loss, Accuracy' table whose accuracy cells carry a percent sign ('1, 0.2920, 64.24%', 10 "
        "rows): refused as 'row 2, column Accuracy: found 64.24%, expected a number' although the Loss column is clean"
    ),
    "AmirAsgary__TCRtyper/train_hist.json": (
        "dict of two lists named only 'train' and 'val' (10 per-epoch losses each) beside two scalars "
        "(exact_likelihood, num_valid_donors): refused as 'no loss series found; columns are [train, val]' - bare "
        "'train'/'val' keys in a history file are not read as the training and validation loss"
    ),
    "DSjayjang__EGCN/train_losses.csv": (
        "'Fold,Train Loss' CSV whose 'Train Loss' cells are quoted Python lists ('\"[2.85, 2.02, ...]\"', 300 epochs per "
        "fold, 5 folds): refused as 'no loss series found; columns are [Fold]' - a list held in one cell is not read as "
        "a per-epoch curve (one run per row)"
    ),
    "Kabourlix__projetCodev2021/train_losses.csv": (
        "per-batch losses appended epoch by epoch with pandas to_csv: a ',0' header line, then 15 'index,value' rows, "
        "repeated 60 times: refused as 'no loss series found; columns are [0]' - the column is named '0' and the "
        "repeated header lines are not read as epoch boundaries"
    ),
    "ncpaxton__Deep-Honeynet-Analysis/train_losses.csv": (
        "three models' training losses side by side under model names only (',LSTM,GRU,BILSTM', 200 epochs): refused "
        "as 'no loss series found; columns are [epoch, LSTM, GRU, BILSTM]' - the file name says 'train_losses' but no "
        "column has a loss word; once read, three compared models would be role-less by design"
    ),
    "p4nzer96__ML_Project-Panzino_Melis/train_losses.csv": (
        "wide CSV: one row per run (4 rows) and one column per epoch (',1,2,...,100'): refused as 'no loss series "
        "found; columns are [epoch, 1, 2, ...]' - a transposed table (epochs as columns) is not read"
    ),
    "XiaoCow666__Fair-Fed-CI/baseline_history.csv": (
        "federated-learning rounds 'round,mse,rmse,mae,r2' (50 rounds of the global model's evaluation MSE, no column "
        "named loss): refused as 'no loss series found; columns are [round, mse, rmse, mae, r2]' - 'mse' is no loss "
        "alias (as Chenghao-Qiu's 'MSE') and 'round' is not read as the x axis"
    ),
    "mahimahari__1-D-Heat-Equation/loss_history.csv": (
        "PINN history 'Epoch,total,pde,ic,bc' (500 epochs; 'total' is the summed loss, the others its terms): refused as "
        "'no loss series found; columns are [Epoch, total, pde, ic, bc]' - a bare 'total' beside loss terms is not read "
        "as the training loss (total_loss is)"
    ),
    "yuan-linyang__112304260141_yuanlinyang/loss_history.csv": (
        "UTF-16 CSV 'Epoch,Train_Loss,Val_Loss' (100 rows) followed by a blank line and a Chinese summary block "
        "('=== 统计信息 ===', 'Epoch 1: Train = 0.8000, Val = 0.8000' ... , '验证集最佳 Loss: 0.2079 (Epoch 95)'): refused at "
        "row 104 ('found Val = 0.8000, expected a number') - the summary lines after the table are not dropped"
    ),
    "Ojas1584__Property_Classification/evals_result.json": (
        "XGBoost evals_result JSON {'train': {'mlogloss': [...]}, 'val': {'mlogloss': [...]}} (487 rounds): loads "
        "train_mlogloss and val_mlogloss, but 'mlogloss' (XGBoost's multi-class log loss) is not read as the phase's loss "
        "(as 'logloss' is), so neither gets a loss role"
    ),
    "ManuMollon261297__Speech-Digit-Detector/model_history_log.csv": (
        "Keras CSVLogger file with a title line 'model_history_log' above a ';'-separated header "
        "'epoch;accuracy;loss;val_accuracy;val_loss' (17 epochs): refused as 'unknown log format (first line "
        "'model_history_log')' - the one-word title line before the table is not skipped"
    ),
    "PNNL-CompBio__cdrp/nohup.log": (
        "nohup capture of an early-stopped regression: 'Epoch: 0, Val_rmse: 0.0666' lines (30 epochs, validation RMSE "
        "only) between 'Validation loss decreased (inf --> 0.066623).  Saving model ...' / 'EarlyStopping counter: 1 "
        "out of 30' lines, tqdm bars redrawn with carriage returns and NUL bytes: refused as 'unknown log format (first "
        "line \"creating transformer data\")' naming 'Val_rmse' 30 times (stop 24) - a lone validation RMSE gets no role"
    ),
    "ddrous__cavia/nohup.log": (
        "CAVIA meta-learning lines 'Iter 0    - time: 1     - [train]: 0.9425 - [valid]: 0.9509 - [adapt]: 0.9374 - "
        "[adapt_test]: 0.9493 - [adapt_test_per_env]: [1.0253, ...]' (1,200 iterations, bracketed names before the "
        "values) under a torch UserWarning and an argument dump: refused as 'unknown log format'"
    ),
    "Toma0916__GlobalWheatDetection/mlruns": (
        "MLflow run whose losses are named 'tr_ls' / 'val_ls' (with parts tr_ls_box_reg, tr_ls_classifier, ... and "
        "score_org_* / score_prc_* metrics), 91 values each, every one logged at step 0: refused as 'no loss series found' - "
        "'tr_ls' / 'val_ls' are no loss aliases"
    ),
    "The-MathKing__gcpmamba/training_losses.json": (
        "JSON dict seed -> model name -> list of 50 training losses ({'42': {'BaseMamba': [...], 'GCP-Mamba': [...], ...}}, "
        "15 seeds, 2-4 models each, 40 curves, no 'loss' word in any key; the file name says training losses): refused "
        "as 'no loss series found'"
    ),
    "Amelioratede__ML-proj/trainlog.txt": (
        "per-epoch blocks 'Training at Epoch #e...' / tab-indented 'Iteration:10 | Mov Avg Loss:0.2612' lines / "
        "'Training Loss of the epoch:0.0391' (10 epochs, then a resumed launch of 9): loads as 19 runs of 80 'Mov Avg "
        "Loss' points (each epoch cut into a run as its iteration counter restarts), and 'Mov Avg Loss' (a moving "
        "average of the training loss) gets no loss role; the epoch lines are not read"
    ),
    "etzhao__nnhands/trainlog.txt": (
        "headerless CSV rows '0, 12, 15.88, 10.22, 3.71, 1.95, 0' (epoch, step, total loss, three loss terms, a flag; "
        "two appended launches of 29 and 16 steps): loads as column_1..column_7 and no series gets a loss role (as "
        "GulzarJS__AI_Cleveland_Heart_Disease)"
    ),
    "lohjine__autovc/trainlog.txt": (
        "AutoVC lines 'Elapsed [0:00:50], Iteration [500/1000000], G/loss_id: 4.0174, G/loss_id_psnt: 4.1965, "
        "G/loss_cd: 0.0814, mvg_avg: 0.0751' (appended launches, the later ones 'Iter [...]'): loads, but the 'G/' "
        "prefix leaves every loss role-less - AutoVC is an autoencoder with no discriminator, so G/loss_id (the "
        "reconstruction loss) is the training loss (as qureai__swinir-diffusionxray's G_loss)"
    ),
    "MasterLKH180cm__DL_ICD_SUGGEST/train_nohup.out": (
        "'Step: 50 char-loss:  tensor(1.6949, device='cuda:0')' lines (the value printed as a torch tensor repr, 263 "
        "points over 16 epochs) between per-epoch 'tprs:' / 'accs:' / 'coverage_errors:' lists: loads one series "
        "'char-loss' that gets no loss role although it is the model's only (training) loss"
    ),
    "hjoonpark__DuoVAE/nohup.txt": (
        "Python logging lines '2024-03-11 10:25:09 INFO epoch:0/1000 x_recon:5.3193 y_recon:0.2278 y_recon2:1.2087 "
        "kl_div_z:4.7997 kl_div_w:1.2806 kl_div_w2:4.2358' (a VAE's loss terms with no total, every 10th epoch) under "
        "a bash warning and a model print: loads (stop 24) the six terms role-less, 101 points each, with the role "
        "picker - which term (or their sum) is the training loss is the user's call; nothing is diagnosed until then"
    ),
    "ASHMEET555__anyECG-chat/training_log.out": (
        "nohup capture whose 'Epoch 0, Step 1, Loss 1.1157' logging records (530, 10 epochs) are written into tqdm "
        "bars redrawn with carriage returns ('Iteration:   1%|...| 3/215 [...][A2026-01-12 03:49:22,169 - my_logger - "
        "INFO - Epoch 0, Step 1, Loss ...'): refused as 'unknown log format (first line 'nohup: ignoring input')'"
    ),
}


# Files whose losses have no training/validation role to infer, by design (issue 10: "loads ... with the
# roles a user can pick when none can be inferred"): GAN generator/discriminator losses and heads trained
# side by side with no overall loss. They pass when they load with exactly these role-less loss series, the
# role-less warning naming them and offering the role picker (CLI --role, page 'Series roles'); every
# other file must give a canonical loss role (train_loss / val_loss / true_train_loss).
ROLELESS_BY_DESIGN: dict[str, set[str]] = {
    "paul-yangmy__CS760/training_logs.txt": {  # topic model: two loss terms, no total
        "negative_sampling_loss", "dirichlet_prior_loss"},
    "VNitish__Satellite-Image-to-Map---GAN/training_logs.txt": {  # pix2pix GAN: tqdm postfix + epoch 'Avg Losses'
        "lossD_real", "lossD_fake", "lossG", "D_real", "D_fake", "G"},
    "chanichkorn__pattern_proj/train_log.txt": {"L_D", "L_G"},  # WGAN critic / generator losses ('W' the estimate)
    "Echoin2025__GAN/training_log.txt": {"D_Loss", "G_Loss"},  # GAN CSV (D_Real/D_Fake probabilities beside), no total
    "3ZadeSSG__DCGAN-Face-Image-Generator/training_log.txt": {"D_Loss", "G_Loss"},  # DCGAN D/G step losses, no total
    "GaoQ1__ner-slot_filling/train.log": {"INTENT loss", "NER loss"},  # joint intent + NER heads, no total
    "Latinaxia__Unet/training.log": {"Average Loss_G", "Loss_D"},  # GAN: 'Average Loss_G: x, Loss_D: y'
    "DaisyLiu1996__style_transfer_85/loss_log.txt": {  # CycleGAN loss_log.txt
        "D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"},
    "Lala-Mumtaz-Ali__FCV-Project/version_1_metrics.csv": {"s1/d_loss", "s1/g_loss"},  # GAN stage 1
    "daleas0120__cub-classification/metrics.csv": {  # two heads, each with its own train/val loss
        "train_classification_loss", "train_regression_loss", "val_classification_loss", "val_regression_loss"},
    "Enderlogic__batch_effect/version_2_metrics.csv": {"train_elbo_loss", "train_recon_loss"},  # VAE terms
    "Ayews__M3Net/loss.txt": {"loss_1", "loss_2"},  # headerless 'epoch<TAB>a<TAB>b': two unnamed loss terms
    "AAAAAiden__IAE-implementation/training_log.txt": {  # adversarial autoencoder: three players, no total
        "Loss Discriminator", "Loss Encoder", "Loss Decoder"},
    "Bam4d__Neural-Game-Engine/training_history.csv": {  # world-model heads trained side by side, no total
        "mse_observation_loss", "saturation_loss", "ce_reward_loss"},
    "cueltschey__wireless-DDoS-GAN/losses.csv": {"discriminator_loss", "generator_loss"},  # GAN D/G losses
    "Arnaud58__Ganilla-Witness-Style/loss_log.txt": {  # GANILLA/CycleGAN loss_log.txt, 17 launches
        "D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"},
    "Divide-By-0__homeServerGAN/loss_log.txt": {"D_A", "G_A", "D_B", "G_B"},  # CycleGAN (Cyc_A/Cyc_B beside)
    "FloatButterfly__ImageCompression_VAE-GAN/loss_log.txt": {"G_GAN", "D", "G_L1"},  # VAE-GAN (z_L1, kl beside)
    "AIRI-Institute__genrisk/metrics.csv": {"train_disc_loss", "train_gen_loss"},  # GAN D/G losses (NaN after step 0)
    "And1210__IDCycleGAN/train.out": {"Generator Loss", "Discriminator Loss"},  # GAN epoch lines, no total
    "mie324__TimeMachiNet/losses.csv": {  # CAAE adversarial autoencoder heads ("tensor(x, device='cuda:0')" cells), no total
        "EG_L1_loss", "G_tv_loss", "G_img_loss", "Ez_loss", "D_loss", "Dz_loss"},
    "ganascimento__ashborn-arena/train.out": {"ploss", "vloss"},  # PPO policy and value losses (reward 'r' beside)
    "CharlesV-s-friend-Suleiman__SEU_Trans_SRTP_2021/loss.csv": {  # two loss terms and their norm, no train/val
        "loss_value1", "loss_value2", "lossvalue"},
    "Spachti__pedm-ood/losses.csv": {"loss_1", "loss_2"},  # two headerless lines of 2000 numbers: one unnamed curve per line
    "2387734392xs-max__MGS/training.log": {  # two models trained side by side (audio-visual, visual), each its own total
        "av_loss", "v_loss"},
    "IsabelJnz__From-Back-Propagation-To-Forward-Forward/losses.csv": {  # two models (ff, fb) side by side, 10 trials
        "ff_train_losses", "ff_test_losses", "fb_test_losses"},
    "HzCeee__AI-Pilot-ProjectVenom/progress.csv": {  # DDPG actor and critic losses (baselines progress.csv), no total
        "train/loss_critic", "train/loss_actor"},
    "alwalt__BioFM/losses.csv": {"loss_1", "loss_2"},  # headerless 'a,b' rows: two unnamed loss curves, no names to infer roles
    "jansekera__bloodbowl/epoch_metrics.csv": {"policy_loss"},
    "QuanTIMLab__TrajectoryClusteringAnalysis/metrics.csv": {  # two views' loss terms side by side, no total
        "train_loss_Ph", "train_loss_W"},
    "Hsiao-Yuan__4995-Final-Project/train_results.csv": {  # adversarial debiasing: predictor vs adversary, no total
        "pred_loss", "adv_loss"},
    "Zou-14__Retinex-DeCNN/loss_curve.csv": {  # RetinexNet: decomposition and relighting nets' losses, no total
        "Decom Loss", "Relight Loss"},
    "ZackHiRo__SGAN-IDS/training_stats.csv": {  # GAN critic/generator losses, train and val, no total
        "train_loss_d", "train_loss_g", "val_loss_d", "val_loss_g"},  # AlphaZero self-play policy loss (as PPO 'ploss'), no train/val
    "aidiary__chainer-dcgan/log": {"gen/loss", "dis/loss"},  # Chainer DCGAN LogReport: generator and discriminator, no total
    "jiaweiniu__cinfogan-stomp/log": {"gen/loss", "dis/loss"},  # Chainer conditional GAN LogReport, no total
    # Headerless tables in files whose names name no role: their columns are unnamed curves named by their
    # place in the line (generic_csv), nothing tells which is the loss - the role picker is offered.
    "CheolwooPark__convlstm_p3d/train_log.txt": {"column_1", "column_2"},  # 'loss,accuracy' rows
    "HamSade__Transformer-Classifier-MIMIC/train.log": {"column_2", "column_3"},  # 'epoch, loss, AUC', 2 runs
    "LachlanGibson__CapsNet/log.csv": {"column_2", "column_3", "column_4", "column_5"},  # epoch + 4 measures
    "AcidCannon__CMPUT466-Mini-project-data/progress.csv": {"column_2"},  # 'epoch,accuracy%' (no loss at all)
}


def split_for(repo: str) -> str:
    """The split rule: the first 32 bits of sha256(owner/repo), even -> dev, odd -> test."""
    return "dev" if int(hashlib.sha256(repo.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


def _rows() -> list[dict[str, str]]:
    with LABELS.open(newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = _rows()


def _ids(row: dict[str, str]) -> str:
    return row["file"]


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def test_labels_table_is_not_trivial():
    assert len(ROWS) >= 29
    files = [r["file"] for r in ROWS]
    assert len(files) == len(set(files)), "a file is labelled twice"
    assert {r["split"] for r in ROWS} == {"dev", "test"}


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_row_is_well_formed(row):
    path = CORPUS / row["file"]
    assert path.exists(), f"{row['file']}: file missing"
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    assert files and sum(p.stat().st_size for p in files) < 300_000, f"{row['file']}: keep corpus files small"
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+", row["repo"]), row["repo"]
    assert row["file"].split("/")[0] == row["repo"].replace("/", "__"), "file must live under <owner>__<repo>/"
    assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), f"{row['file']}: commit must be 40 hex digits"
    assert row["source_path"] and not row["source_path"].startswith("/")
    assert row["expected_finding"] in EXPECTED_VOCAB, row["expected_finding"]
    for cause in _split_list(row["acceptable_causes"]):
        assert cause in CAUSE_IDS, f"{row['file']}: unknown cause {cause!r}"
    for kind in _split_list(row["also_ok"]):
        assert kind in ALSO_OK_VOCAB, f"{row['file']}: unknown finding kind {kind!r}"
        assert kind != row["expected_finding"], f"{row['file']}: {kind} is already the expected finding"
    if row["expected_finding"] in {"healthy", "nothing_to_diagnose"}:
        assert not row["acceptable_causes"], f"{row['file']}: a healthy run has no cause to rank"
    assert len(row["reason"]) >= 20 and re.search(r"\d", row["reason"]), (
        f"{row['file']}: the reason must quote the numbers seen on the curves"
    )
    assert row["split"] == split_for(row["repo"]), f"{row['file']}: split does not follow the repository hash"


def test_splits_are_disjoint_by_repository():
    splits_of: dict[str, set[str]] = defaultdict(set)
    for row in ROWS:
        splits_of[row["repo"]].add(row["split"])
    assert not [repo for repo, splits in splits_of.items() if len(splits) > 1]


def test_no_repository_from_the_shared_real_logs(real_logs):
    manifest = real_logs / "MANIFEST.tsv"
    with manifest.open(newline="") as fh:
        shared = {r["repo"] for r in csv.DictReader(fh, delimiter="\t")}
    assert not shared & {r["repo"] for r in ROWS}


def _has_loss(run, *, finite: bool) -> bool:
    for name, series in run.series.items():
        if "loss" in name and len(series.y) and (not finite or any(math.isfinite(float(v)) for v in series.y)):
            return True
    return False


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_file_loads(row, request):
    path = CORPUS / row["file"]
    if row["file"] in PENDING_READERS:  # strict: a file that loads now must leave PENDING_READERS
        request.applymarker(pytest.mark.xfail(reason=f"reader pending: {PENDING_READERS[row['file']]}", strict=True))
    if row["expected_finding"] == "nothing_to_diagnose":
        try:
            runs = load_path(path)
        except LogFormatError as exc:
            assert str(exc).strip(), "a refusal must say why"
            return
    else:
        runs = load_path(path)
    assert runs, row["file"]
    # A run that is NaN from its first row is a real divergence: its loss series exists but holds no
    # finite value. Every other labelled file must give at least one finite loss value.
    finite = row["expected_finding"] != "divergence"
    roleless = ROLELESS_BY_DESIGN.get(row["file"])
    if roleless is not None:  # loaded as they are, the role picker offered
        for run in runs:
            assert set(roleless_losses(run)) >= roleless, f"{row['file']}: {roleless_losses(run)}"
            assert any(w.startswith(ROLELESS_WARNING) for w in run.warnings), f"{row['file']}: no role-picker warning"
        return
    assert any(_has_loss(run, finite=finite) for run in runs), f"{row['file']}: no loss series recognised"
    if row["expected_finding"] != "nothing_to_diagnose":
        assert any(name in run.series for run in runs for name in LOSS_SERIES), (
            f"{row['file']}: no series got a loss role: {[list(run.series) for run in runs]}")
