"""The format probe's samples (``benchmarks/probe_formats.py``): console output and log files of common
training libraries, each generated in the library's own line format with a decaying loss. The second set
names, beside each sample, the library source file its line format was read from (formats only; nothing
copied).
"""

from __future__ import annotations

import math

N = 12
TR = [2.0 * math.exp(-i / 4) + 0.3 for i in range(N)]
VA = [2.1 * math.exp(-i / 4) + 0.4 for i in range(N)]
ACC = [0.5 + 0.4 * (1 - math.exp(-i / 4)) for i in range(N)]


def _each(fn):
    return [line for i in range(N) for line in fn(i)]


#: name -> (file name, lines, held-out loss expected)
SAMPLES = {
    "Keras fit, verbose=1": ("keras.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"1875/1875 [==============================] - 5s 2ms/step - loss: {TR[i]:.4f} - accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f} - val_accuracy: {ACC[i]:.4f}"]), True),
    "Keras 3 fit (ANSI bar)": ("keras3.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m4s\x1b[0m 2ms/step - accuracy: {ACC[i]:.4f} - loss: {TR[i]:.4f} - val_accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f}"]), True),
    "Keras fit redirected to a file (backspace redraws)": ("keras_nohup.txt", [
        f"Epoch {i + 1}/{N}\n" + "".join(("\b" * 60 if k else "") + f"{k + 1:4d}/3 [{'=' * (10 * k):<30}] - ETA: 1s - loss: {TR[i] * 1.1:.4f}"
                                        for k in range(3)) + "\b" * 60 + f"3/3 [==============================] - 1s 20ms/step - loss: {TR[i]:.4f} - val_loss: {VA[i]:.4f}"
        for i in range(N)], True),
    "Keras fit, verbose=2": ("keras_v2.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"1875/1875 - 3s - loss: {TR[i]:.4f} - accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f} - val_accuracy: {ACC[i]:.4f} - 3s/epoch - 2ms/step"]), True),
    "PyTorch MNIST example": ("mnist.txt", _each(lambda i: [f"Train Epoch: {i + 1} [0/60000 (0%)]\tLoss: {TR[i] * 1.1:.6f}", f"Train Epoch: {i + 1} [30000/60000 (50%)]\tLoss: {TR[i]:.6f}", "", f"Test set: Average loss: {VA[i]:.4f}, Accuracy: {int(ACC[i] * 10000)}/10000 ({int(ACC[i] * 100)}%)", ""]), True),
    "PyTorch loop print": ("plain.txt", [f"Epoch [{i + 1}/{N}], Step [600/600], Loss: {TR[i]:.4f}" for i in range(N)], False),
    "Lightning progress bar": ("lightning.txt", [f"Epoch {i}: 100%|██████████| 938/938 [00:12<00:00, 75.1it/s, v_num=0, train_loss={TR[i]:.3f}, val_loss={VA[i]:.3f}]" for i in range(N)], True),
    "HF Trainer dicts": ("hf.txt", _each(lambda i: [f"{{'loss': {TR[i]:.4f}, 'grad_norm': 1.2, 'learning_rate': 2e-05, 'epoch': {i + 0.5}}}", f"{{'eval_loss': {VA[i]:.4f}, 'eval_runtime': 1.2, 'epoch': {i + 1.0}}}"]), True),
    "HF example + eval metrics block": ("hf_glue.txt", _each(lambda i: [f"{{'loss': {TR[i]:.4f}, 'learning_rate': 2e-05, 'epoch': {i + 0.5}}}", "***** eval metrics *****", f"  epoch                   =        {i + 1}.0", f"  eval_loss               =     {VA[i]:.4f}", "  eval_runtime            = 0:00:01.23"]), True),
    "TRL SFT dicts (no eval)": ("trl.txt", [f"{{'loss': {TR[i]:.4f}, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'mean_token_accuracy': {ACC[i]:.3f}, 'epoch': {(i + 1) / N:.2f}}}" for i in range(N)], False),
    "fastai fit table": ("fastai.txt", ["epoch     train_loss  valid_loss  accuracy  time    "] + [f"{i:<10}{TR[i]:<12.6f}{VA[i]:<12.6f}{ACC[i]:<10.6f}00:12   " for i in range(N)], True),
    "nanoGPT": ("nanogpt.txt", _each(lambda i: [f"step {i * 250}: train loss {TR[i]:.4f}, val loss {VA[i]:.4f}"] + [f"iter {i * 250 + k * 10}: loss {TR[i] * 1.02:.4f}, time 45.67ms, mfu 12.34%" for k in range(1, 25)]), True),
    "llm.c": ("llmc.txt", _each(lambda i: [f"val loss {VA[i]:.6f}"] + [f"step {i * 20 + k:4d}/240 | train loss {TR[i]:.6f} | norm 1.2345 | lr 6.00e-04 | (100.00 ms | 5000 tok/s)" for k in range(1, 21)]), True),
    "timm train.py": ("timm.txt", _each(lambda i: [f"Train: {i} [1250/1251 (100%)]  Loss: {TR[i]:.3f} ({TR[i]:.3f})  Time: 1.0s,  100/s  LR: 1.000e-03  Data: 0.5 (0.5)", f"Test: [  48/48]  Time: 0.100 (0.150)  Loss:  {VA[i]:.4f} ({VA[i]:.4f})  Acc@1: {ACC[i] * 100:.4f} ({ACC[i] * 100:.4f})  Acc@5: 90.0 (90.0)"]), True),
    "PyTorch Ignite": ("ignite.txt", _each(lambda i: [f"Epoch[{i + 1}] Iteration[{(i + 1) * 469}/{N * 469}] Loss: {TR[i]:.2f}", f"Training Results - Epoch: {i + 1}  Avg accuracy: {ACC[i]:.2f} Avg loss: {TR[i]:.2f}", f"Validation Results - Epoch: {i + 1}  Avg accuracy: {ACC[i]:.2f} Avg loss: {VA[i]:.2f}"]), True),
    "PaddleClas": ("paddle.txt", _each(lambda i: [f"[2023/01/01 12:00:{i:02d}] ppcls INFO: [Train][Epoch {i + 1}/{N}][Iter: 99/100]lr(LinearWarmup): 0.10000000, top1: {ACC[i]:.5f}, CELoss: {TR[i]:.5f}, loss: {TR[i]:.5f}, batch_cost: 0.1s, ips: 100 samples/s", f"[2023/01/01 12:00:{i:02d}] ppcls INFO: [Eval][Epoch {i + 1}][Avg]CELoss: {VA[i]:.5f}, loss: {VA[i]:.5f}, top1: {ACC[i]:.5f}"]), True),
    "mmdetection 2.x": ("mmdet.txt", [f"2023-01-01 10:00:{i:02d},000 - mmdet - INFO - Epoch [{i + 1}][50/500]\tlr: 2.000e-02, eta: 1:00:00, time: 0.5, data_time: 0.01, memory: 3000, loss_cls: {TR[i] * 0.5:.4f}, loss_bbox: {TR[i] * 0.3:.4f}, loss: {TR[i]:.4f}" for i in range(N)], False),
    "detectron2": ("d2.txt", [f"[01/01 12:00:00 d2.utils.events]:  eta: 0:10:00  iter: {20 * (i + 1) - 1}  total_loss: {TR[i]:.3f}  loss_cls: {TR[i] * 0.4:.3f}  loss_box_reg: {TR[i] * 0.3:.3f}  time: 0.3  lr: 0.00025  max_mem: 2000M" for i in range(N)], False),
    "fairseq": ("fairseq.txt", _each(lambda i: [f"2021-01-01 00:00:00 | INFO | train | epoch {i + 1:03d} | loss {TR[i]:.3f} | nll_loss {TR[i] * 0.9:.3f} | ppl 12.3 | wps 5000 | lr 0.0005", f"2021-01-01 00:00:00 | INFO | valid | epoch {i + 1:03d} | valid on 'valid' subset | loss {VA[i]:.3f} | nll_loss {VA[i] * 0.9:.3f} | ppl 13.1"]), True),
    "OpenNMT-py": ("onmt.txt", [f"[2020-01-01 12:00:00,000 INFO] Step {100 * (i + 1)}/1200; acc:  {ACC[i] * 100:.2f}; ppl: {math.exp(TR[i]):.2f}; xent: {TR[i]:.2f}; lr: 1.00000; 3000/3000 tok/s;     10 sec" for i in range(N)], False),
    "TF Estimator": ("tf_est.txt", [f"INFO:tensorflow:loss = {TR[i]:.5f}, step = {i * 100 + 1} (0.500 sec)" for i in range(N)], False),
    "TF2 custom loop print": ("tf2.txt", [f"Epoch {i + 1}, Loss: {TR[i]:.4f}, Accuracy: {ACC[i] * 100:.2f}, Test Loss: {VA[i]:.4f}, Test Accuracy: {ACC[i] * 100:.2f}" for i in range(N)], True),
    "scikit-learn MLP verbose": ("mlp.txt", [f"Iteration {i + 1}, loss = {TR[i]:.8f}" for i in range(N)], False),
    "scikit-learn SGD verbose": ("sgd.txt", _each(lambda i: [f"-- Epoch {i + 1}", f"Norm: 0.5{i}, NNZs: 10, Bias: 0.1, T: {100 * (i + 1)}, Avg. loss: {TR[i]:.6f}", "Total training time: 0.01 seconds."]), False),
    "XGBoost": ("xgb.txt", [f"[{i}]\ttrain-logloss:{TR[i]:.5f}\teval-logloss:{VA[i]:.5f}" for i in range(N)], True),
    "XGBoost scikit-learn API": ("xgb_sk.txt", [f"[{i}]\tvalidation_0-mlogloss:{TR[i]:.5f}\tvalidation_1-mlogloss:{VA[i]:.5f}" for i in range(N)], True),
    "LightGBM": ("lgb.txt", [f"[{i + 1}]\ttraining's binary_logloss: {TR[i]:.6f}\tvalid_1's binary_logloss: {VA[i]:.6f}" for i in range(N)], True),
    "CatBoost": ("catboost.txt", [f"{i}:\tlearn: {TR[i]:.7f}\ttest: {VA[i]:.7f}\tbest: {VA[i]:.7f} ({i})\ttotal: {50 * (i + 1)}ms\tremaining: 5s" for i in range(N)], True),
    "Ultralytics YOLOv5 console": ("yolo.txt", ["      Epoch    GPU_mem   box_loss   obj_loss   cls_loss  Instances       Size"] + _each(lambda i: [f"      {i}/{N - 1}      3.5G    {TR[i] * 0.05:.5f}    {TR[i] * 0.03:.5f}    {TR[i] * 0.02:.5f}         40        640: 100%|██████████| 100/100 [00:30<00:00,  3.3it/s]", "                 Class     Images  Instances          P          R      mAP50   mAP50-95: 100%|██████████| 10/10 [00:02<00:00,  4.1it/s]", f"                   all        128        929      0.7      0.6      {ACC[i] - 0.2:.3f}      0.4"]), False),
    "torchtune": ("torchtune.txt", [f"Step {i + 1} | loss:{TR[i]:.4f} lr:2e-05 tokens_per_second_per_gpu:1000.0" for i in range(N)], False),
}


def _ts(i: int) -> str:
    return f"2024-01-01 12:{i // 60:02d}:{i % 60:02d}"


def _sb3(i: int) -> list[str]:
    """One Stable-Baselines3 HumanOutputFormat table (stable_baselines3/common/logger.py): keys under their
    section, values formatted '%.3g', box width from the longest key and value."""
    rows = [("rollout/", ""), ("   ep_len_mean", f"{200 + i:.3g}"), ("   ep_rew_mean", f"{-1200 + 50 * i:.3g}"),
            ("time/", ""), ("   fps", "1234"), ("   iterations", str(i + 2)), ("   time_elapsed", str(3 * i + 3)),
            ("   total_timesteps", str(2048 * (i + 2))), ("train/", ""), ("   approx_kl", "0.00812"),
            ("   entropy_loss", f"{-1.4 + 0.01 * i:.3g}"), ("   learning_rate", "0.0003"), ("   loss", f"{TR[i]:.3g}"),
            ("   n_updates", str(10 * (i + 1))), ("   policy_gradient_loss", "-0.0166"), ("   value_loss", f"{TR[i] * 20:.3g}")]
    kw, vw = max(len(k) for k, _ in rows), max(len(v) for _, v in rows)
    rule = "-" * (kw + vw + 7)
    return [rule] + [f"| {k:<{kw}} | {v:<{vw}} |" for k, v in rows] + [rule]


def _megatron(i: int) -> list[str]:
    """Megatron-LM training_log / evaluate_and_print_results (megatron/training/training.py)."""
    it = 100 * (i + 1)
    out = [f" iteration {it:8d}/{100 * N:8d} | consumed samples: {it * 512:12d} | elapsed time per iteration (ms): 512.3 |"
           f" learning rate: {1.5e-4:.3E} | global batch size: {512:5d} | lm loss: {TR[i]:.6E} | loss scale: 65536.0 |"
           f" grad norm: 1.234 | number of skipped iterations: {0:3d} | number of nan iterations: {0:3d} |"]
    val = f" validation loss at iteration {it} | lm loss value: {VA[i]:.6E} | lm loss PPL: {math.exp(VA[i]):.6E} | "
    return out + ["-" * (len(val) + 1), val, "-" * (len(val) + 1)]


SAMPLES.update({
    # torchvision references/classification/train.py + utils.MetricLogger.log_every (header, [i/n], eta, meters, time, data, max mem)
    "torchvision classification reference": ("tv_cls.txt", _each(lambda i: [
        f"Epoch: [{i}]  [780/782]  eta: 0:00:01  lr: 0.1  img/s: 2500.5  loss: {TR[i]:.4f} ({TR[i]:.4f})  acc1: {ACC[i] * 100:.4f} ({ACC[i] * 100:.4f})  acc5: 90.0000 (90.0000)  time: 0.0510  data: 0.0010  max mem: 3000",
        f"Epoch: [{i}] Total time: 0:00:40",
        f"Test:   [ 0/79]  eta: 0:00:05  loss: {VA[i]:.4f} ({VA[i]:.4f})  acc1: {ACC[i] * 100:.4f} ({ACC[i] * 100:.4f})  acc5: 90.0000 (90.0000)  time: 0.0700  data: 0.0500  max mem: 3000",
        "Test:  Total time: 0:00:03",
        f"Test:  Acc@1 {ACC[i] * 100:.3f} Acc@5 90.000"]), True),
    # torchvision references/detection/engine.py train_one_epoch (MetricLogger; evaluate logs no loss)
    "torchvision detection reference": ("tv_det.txt", _each(lambda i: [
        f"Epoch: [{i}]  [ 0/60]  eta: 0:01:00  lr: 0.005000  loss: {TR[i]:.4f} ({TR[i]:.4f})  loss_classifier: {TR[i] * 0.4:.4f} ({TR[i] * 0.4:.4f})  loss_box_reg: {TR[i] * 0.4:.4f} ({TR[i] * 0.4:.4f})  loss_objectness: {TR[i] * 0.1:.4f} ({TR[i] * 0.1:.4f})  loss_rpn_box_reg: {TR[i] * 0.1:.4f} ({TR[i] * 0.1:.4f})  time: 0.9000  data: 0.3000  max mem: 2000",
        f"Epoch: [{i}] Total time: 0:00:50 (0.8333 s / it)",
        "Test:  [ 0/50]  eta: 0:00:20  model_time: 0.2000 (0.2000)  evaluator_time: 0.0100 (0.0100)  time: 0.4000  data: 0.2000  max mem: 2000",
        "Averaged stats: model_time: 0.2000 (0.2000)  evaluator_time: 0.0100 (0.0100)"]), False),
    # facebookresearch/detr engine.py (train_one_epoch header 'Epoch: [{}]', evaluate header 'Test:')
    "DETR console": ("detr.txt", _each(lambda i: [
        f"Epoch: [{i}]  [7390/7393]  eta: 0:00:01  lr: 0.000100  class_error: 20.00  loss: {TR[i]:.4f} ({TR[i]:.4f})  loss_ce: {TR[i] * 0.3:.4f} ({TR[i] * 0.3:.4f})  loss_bbox: {TR[i] * 0.4:.4f} ({TR[i] * 0.4:.4f})  time: 0.3000  data: 0.0100  max mem: 5000",
        f"Averaged stats: lr: 0.000100  class_error: 20.00  loss: {TR[i]:.4f} ({TR[i]:.4f})  loss_ce: {TR[i] * 0.3:.4f} ({TR[i] * 0.3:.4f})",
        f"Test:  [ 620/625]  eta: 0:00:01  class_error: 25.00  loss: {VA[i]:.4f} ({VA[i]:.4f})  loss_ce: {VA[i] * 0.3:.4f} ({VA[i] * 0.3:.4f})  time: 0.1000  data: 0.0100  max mem: 5000",
        f"Averaged stats: class_error: 25.00  loss: {VA[i]:.4f} ({VA[i]:.4f})  loss_ce: {VA[i] * 0.3:.4f} ({VA[i] * 0.3:.4f})"]), True),
    # pytorch/examples imagenet/main.py ProgressMeter + AverageMeter ('{name} {val:fmt} ({avg:fmt})', tab-joined)
    "PyTorch ImageNet example": ("imagenet.txt", _each(lambda i: [
        f"Epoch: [{i}][5000/5005]\tTime  0.512 ( 0.520)\tData  0.001 ( 0.010)\tLoss {TR[i]:.4e} ({TR[i]:.4e})\tAcc@1 {ACC[i] * 100:6.2f} ({ACC[i] * 100:6.2f})\tAcc@5  90.00 ( 90.00)",
        f"Test: [190/196]\tTime  0.100 ( 0.120)\tLoss {VA[i]:.4e} ({VA[i]:.4e})\tAcc@1 {ACC[i] * 100:6.2f} ({ACC[i] * 100:6.2f})\tAcc@5  90.00 ( 90.00)",
        f" *   Acc@1 {ACC[i] * 100:.3f} Acc@5 90.000"]), True),
    # mmengine runner/log_processor.py (epoch-based: 'Epoch(train) [e][i/n]', 'Epoch(val) [e][i/n]'), mmpretrain metrics
    "mmengine epoch-based (mmpretrain)": ("mmpre.txt", _each(lambda i: [
        f"2023/05/01 10:00:{i:02d} - mmengine - INFO - Epoch(train)  [{i + 1}][780/782]  lr: 1.0000e-01  eta: 1:00:00  time: 0.0500  data_time: 0.0100  memory: 1000  loss: {TR[i]:.4f}",
        f"2023/05/01 10:00:{i:02d} - mmengine - INFO - Epoch(val) [{i + 1}][79/79]    accuracy/top1: {ACC[i] * 100:.4f}  accuracy/top5: 90.0000  data_time: 0.0100  time: 0.0200"]), False),
    # mmengine log_processor.py iteration-based ('Iter(train) [i/n]', 'Iter(val) [i/n]'), mmseg 1.x loss names
    "mmengine iter-based (mmseg 1.x)": ("mmseg.txt", _each(lambda i: [
        f"2023/05/01 10:00:{i:02d} - mmengine - INFO - Iter(train) [{(i + 1) * 50:5d}/80000]  lr: 9.9947e-03  eta: 10:00:00  time: 0.4000  data_time: 0.0100  memory: 5000  loss: {TR[i]:.4f}  decode.loss_ce: {TR[i] * 0.7:.4f}  decode.acc_seg: {ACC[i] * 100:.4f}  aux.loss_ce: {TR[i] * 0.3:.4f}  aux.acc_seg: 35.0000"]
        + ([f"2023/05/01 10:00:{i:02d} - mmengine - INFO - Iter(val) [500/500]    aAcc: 90.0000  mIoU: {ACC[i] * 50:.4f}  mAcc: 50.0000  data_time: 0.0100  time: 0.1000"] if i % 4 == 3 else [])), False),
    # ultralytics/engine/trainer.py progress_string + validator ('Box(P' header), header printed each epoch
    "Ultralytics YOLOv8 console": ("yolov8.txt", _each(lambda i: [
        "",
        "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size",
        f"     {i + 1:>2}/{N}      2.61G      {TR[i] * 0.6:.4g}      {TR[i] * 0.9:.4g}      {TR[i] * 0.5:.4g}         32        640: 100%|██████████| 8/8 [00:02<00:00,  3.21it/s]",
        "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95): 100%|██████████| 4/4 [00:01<00:00,  3.50it/s]",
        f"                   all        128        929      0.652      0.541      {ACC[i] - 0.2:.3f}      0.448"]), False),
    # Megvii-BaseDetection/YOLOX yolox/core/trainer.py after_iter (loguru prefix, '{}: {:.1f}' losses)
    "YOLOX": ("yolox.txt", [f"{_ts(i)}.123 | INFO     | yolox.core.trainer:261 - epoch: {i + 1}/{N}, iter: 3660/3665, mem: 5123Mb, iter_time: 0.500s, data_time: 0.001s, total_loss: {TR[i] * 5:.1f}, iou_loss: {TR[i] * 2:.1f}, l1_loss: 0.0, conf_loss: {TR[i] * 2:.1f}, cls_loss: {TR[i]:.1f}, lr: 1.000e-02, size: 640, ETA: 1 day, 2:03:04" for i in range(N)], False),
    # AlexeyAB/darknet src/detector.c train_detector ('\n %d: %f, %f avg loss, %f rate, %lf seconds, %d images, %f hours left')
    "Darknet (AlexeyAB)": ("darknet.txt", _each(lambda i: [
        "", f" {(i + 1) * 100}: {TR[i] * 1.05:f}, {TR[i]:f} avg loss, 0.001000 rate, 3.126812 seconds, {(i + 1) * 6400} images, {10.5 - i * 0.1:f} hours left"]), False),
    # BVLC/caffe src/caffe/solver.cpp Step / TestAll (glog prefix, 'Train net output #k: name = v (* w = l loss)')
    "Caffe": ("caffe.txt", _each(lambda i: [
        f"I0305 16:59:{i:02d}.118186 11114 solver.cpp:228] Iteration {(i + 1) * 100}, loss = {TR[i]:g}",
        f"I0305 16:59:{i:02d}.118214 11114 solver.cpp:244]     Train net output #0: loss = {TR[i]:g} (* 1 = {TR[i]:g} loss)",
        f"I0305 16:59:{i:02d}.118220 11114 sgd_solver.cpp:106] Iteration {(i + 1) * 100}, lr = 0.01",
        f"I0305 16:59:{i:02d}.200000 11114 solver.cpp:347] Iteration {(i + 1) * 100}, Testing net (#0)",
        f"I0305 16:59:{i:02d}.687661 11114 solver.cpp:414]     Test net output #0: accuracy = {ACC[i]:g}",
        f"I0305 16:59:{i:02d}.687693 11114 solver.cpp:414]     Test net output #1: loss = {VA[i]:g} (* 1 = {VA[i]:g} loss)"]), True),
    # apache/mxnet python/mxnet/module/base_module.py fit + callback.Speedometer ('Epoch[%d] Train-%s=%f', 'Validation-%s=%f')
    "MXNet Module.fit": ("mxnet.txt", _each(lambda i: [
        f"INFO:root:Epoch[{i}] Batch [0-100]\tSpeed: 5012.34 samples/sec\taccuracy={ACC[i]:f}\tcross-entropy={TR[i] * 1.05:f}",
        f"INFO:root:Epoch[{i}] Train-accuracy={ACC[i]:f}", f"INFO:root:Epoch[{i}] Train-cross-entropy={TR[i]:f}",
        f"INFO:root:Epoch[{i}] Time cost=10.123", f"INFO:root:Epoch[{i}] Validation-accuracy={ACC[i]:f}",
        f"INFO:root:Epoch[{i}] Validation-cross-entropy={VA[i]:f}"]), True),
    # chainer/training/extensions/print_report.py (entries padded to max(10, len), values '{:<Wg}  ')
    "Chainer PrintReport": ("chainer.txt", ["epoch       main/loss   validation/main/loss  main/accuracy  validation/main/accuracy  elapsed_time"]
                            + [f"{i + 1:<10g}  {TR[i]:<10g}  {VA[i]:<20g}  {ACC[i]:<13g}  {ACC[i]:<24g}  {5.2 * (i + 1):<12g}  " for i in range(N)], True),
    # DLR-RM/stable-baselines3 common/logger.py HumanOutputFormat (PPO's train/ section)
    "Stable-Baselines3 PPO": ("sb3.txt", _each(_sb3), False),
    # espnet/espnet2/train/reporter.py log_message / log_message (epoch results '[train] k=v, ..., [valid] k=v')
    "ESPnet2": ("espnet.txt", _each(lambda i: [
        f"[host] {_ts(i)},464 (trainer:732) INFO: {i + 1}epoch:train:401-500batch: iter_time=1.640e-04, forward_time=0.952, loss={TR[i] * 100:.3f}, loss_att={TR[i] * 80:.3f}, loss_ctc={TR[i] * 150:.3f}, acc={ACC[i]:.3f}, backward_time=0.973, optim_step_time=0.007, optim0_lr0=2.080e-06, train_time=2.105",
        f"[host] {_ts(i)},500 (trainer:338) INFO: {i + 1}epoch results: [train] iter_time=1.640e-04, forward_time=0.952, loss={TR[i] * 100:.3f}, loss_att={TR[i] * 80:.3f}, loss_ctc={TR[i] * 150:.3f}, acc={ACC[i]:.3f}, backward_time=0.973, optim_step_time=0.007, optim0_lr0=2.080e-06, train_time=2.105, time=1 minute and 43.19 seconds, total_count=500, gpu_max_cached_mem_GB=3.123, [valid] loss={VA[i] * 100:.3f}, loss_att={VA[i] * 80:.3f}, loss_ctc={VA[i] * 150:.3f}, acc={ACC[i]:.3f}, cer=0.500, wer=0.700, time=50.5 seconds, total_count=49, gpu_max_cached_mem_GB=3.123, [att_plot] time=5.12 seconds, total_count=0, gpu_max_cached_mem_GB=3.123"]), True),
    # flairNLP/flair flair/trainers/trainer.py ('epoch {} - iter {}/{} - loss {:.8f}', 'EPOCH {} done: loss {:.4f}', 'DEV : loss')
    "Flair": ("flair.txt", _each(lambda i: [
        f"{_ts(i)},118 epoch {i + 1} - iter 140/149 - loss {TR[i] * 1.02:.8f} - time (sec): 10.50 - samples/sec: 70.85 - lr: 0.100000 - momentum: 0.000000",
        f"{_ts(i)},120 {'-' * 100}", f"{_ts(i)},120 EPOCH {i + 1} done: loss {TR[i]:.4f} - lr: 0.100000",
        f"{_ts(i)},183 DEV : loss {VA[i]} - f1-score (micro avg)  {ACC[i]:.4f}", f"{_ts(i)},185 BAD EPOCHS (no improvement): 0",
        f"{_ts(i)},185 saving best model", f"{_ts(i)},190 {'-' * 100}"]), True),
    # scikit-learn sklearn/ensemble/_gb.py VerboseReporter (header 'Iter  Train Loss  Remaining Time', '{:>10d}{:>16.4f}{:>16}')
    "scikit-learn GradientBoosting verbose": ("gbm.txt", ["      Iter       Train Loss   Remaining Time "]
                                              + [f"{i + 1:>10d}{TR[i]:>16.4f}{f'{0.12 * (N - i):.2f}s':>16}" for i in range(N)], False),
    # the same reporter with subsample < 1 (OOB Improve column) and minutes left
    "scikit-learn GradientBoosting verbose (subsample)": ("gbm_oob.txt", ["      Iter       Train Loss      OOB Improve   Remaining Time "]
                                                          + [f"{i + 1:>10d}{TR[i]:>16.4f}{0.1 / (i + 1):>16.4f}{f'{1.5 * (N - i):.2f}m':>16}" for i in range(N)], False),
    # NVIDIA/Megatron-LM megatron/training/training.py (training_log, evaluate_and_print_results)
    "Megatron-LM": ("megatron.txt", _each(_megatron), True),
    # awslabs/gluonts src/gluonts/mx/trainer/_base.py ('Epoch[%d] Evaluation metric '%s'=%f', 'validation_' prefix)
    "GluonTS (MXNet trainer)": ("gluonts.txt", _each(lambda i: [
        f"INFO:gluonts.trainer:Epoch[{i}] Learning rate is 0.001",
        f"100%|██████████| 50/50 [00:02<00:00, 20.00it/s, epoch={i + 1}/{N}, avg_epoch_loss={TR[i]:.3g}]",
        f"INFO:gluonts.trainer:Epoch[{i}] Elapsed time 2.500 seconds",
        f"INFO:gluonts.trainer:Epoch[{i}] Evaluation metric 'epoch_loss'={TR[i]:f}",
        f"INFO:gluonts.trainer:Epoch[{i}] Evaluation metric 'validation_epoch_loss'={VA[i]:f}"]), True),
    # skorch/callbacks/logging.py PrintLog (tabulate 'simple' table, improved values coloured)
    "skorch": ("skorch.txt", ["  epoch    train_loss    valid_acc    valid_loss     dur", "-------  ------------  -----------  ------------  ------"]
               + [f"{i + 1:>7}  \x1b[36m{TR[i]:>12.4f}\x1b[0m  \x1b[32m{ACC[i]:>11.4f}\x1b[0m  \x1b[35m{VA[i]:>12.4f}\x1b[0m  0.0409" for i in range(N)], True),
    # dnouri/nolearn nolearn/lasagne/handlers.py PrintLog (tabulate; 'trn loss', 'val loss', 'trn/val', 'valid acc', 'dur')
    "nolearn (Lasagne)": ("nolearn.txt", ["  epoch    trn loss    val loss    trn/val    valid acc  dur", "-------  ----------  ----------  ---------  -----------  -----"]
                         + [f"{i + 1:>7}  \x1b[36m{TR[i]:>10.5f}\x1b[0m  \x1b[32m{VA[i]:>10.5f}\x1b[0m  {TR[i] / VA[i]:>9.5f}  {ACC[i]:>11.5f}  2.85s" for i in range(N)], True),
    # Lasagne/Lasagne examples/mnist.py ('Epoch {} of {} took {:.3f}s', '  training loss:\t\t{:.6f}', ...)
    "Lasagne MNIST example": ("lasagne.txt", _each(lambda i: [
        f"Epoch {i + 1} of {N} took 12.345s", f"  training loss:\t\t{TR[i]:.6f}", f"  validation loss:\t\t{VA[i]:.6f}",
        f"  validation accuracy:\t\t{ACC[i] * 100:.2f} %"]), True),
    # Project-MONAI/tutorials 3d_segmentation/spleen_segmentation_3d.ipynb ('{step}/{n}, train_loss: ', 'epoch N average loss: ')
    "MONAI tutorial loop": ("monai.txt", _each(lambda i: [
        "----------", f"epoch {i + 1}/{N}"] + [f"{k}/16, train_loss: {TR[i] * (1.1 - 0.01 * k):.4f}" for k in range(1, 17)]
        + [f"epoch {i + 1} average loss: {TR[i]:.4f}", f"current epoch: {i + 1} current mean dice: {ACC[i]:.4f}",
           f"best mean dice: {ACC[i]:.4f} at epoch: {i + 1}"]), False),
    # pyg-team/pytorch_geometric examples/gcn.py ("Epoch: {epoch:03d}, Loss: {loss:.4f}, Train: {train_acc:.4f}, Val: ..., Test: ...")
    "PyTorch Geometric example": ("pyg.txt", [f"Epoch: {i + 1:03d}, Loss: {TR[i]:.4f}, Train: {ACC[i]:.4f}, Val: {ACC[i] - 0.05:.4f}, Test: {ACC[i] - 0.06:.4f}" for i in range(N)], False),
    # dmlc/dgl examples/pytorch/gcn/train.py ('Epoch {:05d} | Time(s) {:.4f} | Loss {:.4f} | Accuracy {:.4f} | ETputs(KTEPS) {:.2f}')
    "DGL example": ("dgl.txt", [f"Epoch {i:05d} | Time(s) {'nan' if i < 3 else '0.0123'} | Loss {TR[i]:.4f} | Accuracy {ACC[i]:.4f} | ETputs(KTEPS) {'nan' if i < 3 else '850.12'}" for i in range(N)], False),
    # google/flax examples/mnist/train.py (absl logging: 'epoch:% 3d, train_loss: %.4f, train_accuracy: %.2f, test_loss: ...')
    "Flax MNIST example": ("flax.txt", [f"I0101 12:00:{i:02d}.123456 140000000000000 train.py:148] epoch:{i + 1: 3d}, train_loss: {TR[i]:.4f}, train_accuracy: {ACC[i] * 100:.2f}, test_loss: {VA[i]:.4f}, test_accuracy: {ACC[i] * 100:.2f}" for i in range(N)], True),
    # tensorflow/models research/object_detection/model_lib_v2.py ('Step {} per-step time {:.3f}s', pprint.pformat(losses, width=40))
    "TF Object Detection API (TF2)": ("tfod.txt", _each(lambda i: [
        f"INFO:tensorflow:Step {(i + 1) * 100} per-step time 0.512s",
        f"I0610 12:00:{i:02d}.123456 139 model_lib_v2.py:705] Step {(i + 1) * 100} per-step time 0.512s",
        f"INFO:tensorflow:{{'Loss/classification_loss': {TR[i] * 0.5:.4f},", f" 'Loss/localization_loss': {TR[i] * 0.3:.4f},",
        f" 'Loss/regularization_loss': {TR[i] * 0.2:.4f},", f" 'Loss/total_loss': {TR[i]:.4f},", " 'learning_rate': 0.0133}",
        f"I0610 12:00:{i:02d}.123999 139 model_lib_v2.py:708] {{'Loss/classification_loss': {TR[i] * 0.5:.4f},",
        f" 'Loss/localization_loss': {TR[i] * 0.3:.4f},", f" 'Loss/regularization_loss': {TR[i] * 0.2:.4f},",
        f" 'Loss/total_loss': {TR[i]:.4f},", " 'learning_rate': 0.0133}"]), False),
    # huggingface/diffusers examples/text_to_image/train_text_to_image.py (progress_bar.set_postfix(step_loss=..., lr=...), desc 'Steps')
    "diffusers training script": ("diffusers.txt", ["".join(f"\rSteps: {k:3d}%|{'█' * (k // 10):<10}| {k * 10}/1000 [00:{k:02d}<09:00,  1.67it/s, lr=1e-05, step_loss={TR[min(k // 8, N - 1)]:.3g}]" for k in range(1, 97))], False),
    # hiyouga/LLaMA-Factory src/llamafactory/train/callbacks.py LogCallback.on_log (trainer_log.jsonl)
    "LLaMA-Factory trainer_log.jsonl": ("trainer_log.jsonl", _each(lambda i: [
        f'{{"current_steps": {(i + 1) * 10}, "total_steps": {N * 10}, "loss": {TR[i]:.4f}, "lr": 4.9e-05, "epoch": {(i + 1) / N:.2f}, "percentage": {100 * (i + 1) / N:.2f}, "elapsed_time": "0:00:{i:02d}", "remaining_time": "0:01:00"}}',
        f'{{"current_steps": {(i + 1) * 10}, "total_steps": {N * 10}, "eval_loss": {VA[i]:.4f}, "epoch": {(i + 1) / N:.2f}, "percentage": {100 * (i + 1) / N:.2f}, "elapsed_time": "0:00:{i:02d}", "remaining_time": "0:01:00"}}']), True),
    # marian-nmt/marian src/training/scheduler.h ('Ep. {} : Up. {} : Sen. {} : Cost {} : Time {}s : {} words/s', '[valid] Ep. : Up. : <metric> : <v> : new best')
    "Marian NMT": ("marian.txt", _each(lambda i: [
        f"[{_ts(i)}] Ep. 1 : Up. {(i + 1) * 500} : Sen. {(i + 1) * 51200:,} : Cost {TR[i]:.8f} * 1,473,231 @ 5,567 after {(i + 1) * 1473231:,} : Time 72.50s : 20320.01 words/s : gNorm 1.2345 : L.r. 3.0000e-04",
        f"[{_ts(i)}] [valid] Ep. 1 : Up. {(i + 1) * 500} : ce-mean-words : {VA[i]:g} : new best",
        f"[{_ts(i)}] [valid] Ep. 1 : Up. {(i + 1) * 500} : bleu : {ACC[i] * 40:g} : new best"]), True),
    # PaddlePaddle/PaddleOCR tools/program.py train ('epoch: [{}/{}], global_step: {}, {}, avg_reader_cost: ...')
    "PaddleOCR": ("ppocr.txt", [f"[2022/08/01 12:00:{i:02d}] ppocr INFO: epoch: [{i + 1}/{N}], global_step: {(i + 1) * 10}, lr: 0.001000, acc: {ACC[i]:.6f}, norm_edit_dis: {ACC[i]:.6f}, loss: {TR[i] * 10:.6f}, avg_reader_cost: 0.10000 s, avg_batch_cost: 0.50000 s, avg_samples: 8.0, ips: 16.00000 samples/s, eta: 1 day, 0:00:00" for i in range(N)], False),
    # PaddlePaddle/PaddleDetection ppdet/engine/callbacks.py LogPrinter ('Epoch: [{}] [{}/{}] learning_rate: ... loss: ... eta: ...')
    "PaddleDetection": ("ppdet.txt", [f"[08/15 04:{i:02d}:46] ppdet.engine INFO: Epoch: [{i}] [1920/1929] learning_rate: 0.040000 loss_vfl: {TR[i] * 0.4:.6f} loss_bbox: {TR[i] * 0.4:.6f} loss_dfl: {TR[i] * 0.2:.6f} loss: {TR[i]:.6f} eta: 2 days, 12:18:53 batch_cost: 1.5770 data_cost: 0.0005 ips: 5.0730 images/s" for i in range(N)], False),
    # NVIDIA/NeMo (Lightning TQDMProgressBar with Megatron GPT's reduced_train_loss, val_loss)
    "NeMo (Lightning bar)": ("nemo.txt", [f"Epoch {i}: 100%|██████████| 100/100 [00:30<00:00,  3.33it/s, v_num=0, reduced_train_loss={TR[i]:.3f}, global_step={100 * (i + 1) - 1}.0, consumed_samples={800 * (i + 1)}.0, train_step_timing in s=0.300, val_loss={VA[i]:.3f}]" for i in range(N)], True),
})


def _allennlp(i: int) -> list[str]:
    """allennlp/training/trainer.py (0.9: 'Epoch %d/%d', 'Training', 'Validating', tqdm descriptions
    'loss: 3.5716 ||') and tensorboard_writer.log_metrics ('{:<n}  Training |  Validation', '{name} | {:8.3f} | {:8.3f}')."""
    t = f"2019-10-15 12:{i:02d}:03,515 - INFO - allennlp.training"
    return [f"{t}.trainer - Epoch {i}/{N - 1}", f"{t}.trainer - Peak CPU memory usage MB: 1919.684", f"{t}.trainer - Training",
            f"accuracy: {ACC[i]:.4f}, loss: {TR[i]:.4f} ||: 100%|##########| 125/125 [00:37<00:00,  3.32it/s]",
            f"{t}.trainer - Validating",
            f"accuracy: {ACC[i]:.4f}, loss: {VA[i]:.4f} ||: 100%|##########| 31/31 [00:02<00:00, 14.47it/s]",
            f"{t}.tensorboard_writer -                   Training |  Validation",
            f"{t}.tensorboard_writer - cpu_memory_MB |  1919.684  |       N/A",
            f"{t}.tensorboard_writer - accuracy      |  {ACC[i]:8.3f}  |  {ACC[i]:8.3f}",
            f"{t}.tensorboard_writer - loss          |  {TR[i]:8.3f}  |  {VA[i]:8.3f}"]


SAMPLES["AllenNLP 0.9 trainer"] = ("allennlp.txt", _each(_allennlp), True)


def _keras_tuner() -> list[str]:
    """keras-tuner engine/oracle.py + tuner display (keras_tuner/engine/tuner_utils.py: 'Search: Running Trial #{}',
    the 'Value |Best Value So Far |Hyperparameter' table, 'Trial {} Complete [{}]', '{objective}: {value}',
    'Best {objective} So Far: {}'), each trial a Keras fit of its own."""
    out = []
    for trial, units in enumerate((32, 64)):
        out += ["", f"Search: Running Trial #{trial + 1}", "", "Value             |Best Value So Far |Hyperparameter",
                f"{units:<18}|32                |units", "0.001             |0.001             |learning_rate", ""]
        for i in range(N):
            out += [f"Epoch {i + 1}/{N}", f"1500/1500 ━━━━━━━━━━━━━━━━━━━━ 5s 3ms/step - accuracy: {ACC[i]:.4f} - loss: "
                                        f"{TR[i] * (1 + trial / 10):.4f} - val_accuracy: {ACC[i]:.4f} - val_loss: {VA[i] * (1 + trial / 10):.4f}"]
        out += [f"Trial {trial + 1} Complete [00h 01m 0{trial}s]", f"val_loss: {min(VA) * (1 + trial / 10)}", "",
                f"Best val_loss So Far: {min(VA)}", f"Total elapsed time: 00h 0{trial + 1}m 00s"]
    return out


SAMPLES["Keras Tuner search"] = ("tuner.txt", _keras_tuner(), True)
