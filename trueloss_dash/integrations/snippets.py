"""The three lines each framework needs, shown on the Runs page's empty state (no framework import).

The full runnable examples are in ``docs/integrations.md`` (the tests run them).
"""

from __future__ import annotations

SNIPPETS: dict[str, tuple[str, str]] = {
    "Lightning": (
        "pip install 'trueloss-dash[lightning]'",
        """import lightning as L
from lightning.pytorch.loggers import CSVLogger
from trueloss_dash.integrations.lightning import TrueLossCallback

trainer = L.Trainer(max_epochs=20, logger=CSVLogger("logs"),
                    callbacks=[TrueLossCallback(subsample=512)])
trainer.fit(model, train_loader, val_loader)   # then open logs/.../metrics.csv here""",
    ),
    "Hugging Face Trainer": (
        "pip install 'trueloss-dash[hf]'",
        """from transformers import Trainer, TrainingArguments
from trueloss_dash.integrations.hf import TrueLossCallback

trainer = Trainer(model=model, args=TrainingArguments("out", eval_strategy="epoch",
                  logging_strategy="epoch"), train_dataset=train, eval_dataset=val)
trainer.add_callback(TrueLossCallback(trainer, subsample=512))
trainer.train()
trainer.save_state()   # then open out/trainer_state.json here""",
    ),
    "Keras 3": (
        "pip install 'trueloss-dash[keras]'",
        """import keras
from trueloss_dash.integrations.keras import TrueLossCallback

model.fit(x, y, validation_data=(x_val, y_val), epochs=20,
          callbacks=[TrueLossCallback(x, y, subsample=512),      # before CSVLogger
                     keras.callbacks.CSVLogger("run.csv")])   # then open run.csv here""",
    ),
}
