"""The ViT implementation article (/vit/implementation/): its listings and build jobs.

The model is the library module :mod:`snippets.vit.model`, the digits training
:mod:`snippets.vit.digits`. Here: the runs whose output the page shows, the parameter
breakdown, and the digits checkpoint (``vit-digits``) that the other ViT articles reuse.
Each output job's body is a listing on the page."""

import inspect

import numpy as np
from matplotlib.figure import Figure

from snippets.build import figure, output, values
from snippets.vit import digits
from snippets.vit.model import (
    PatchEmbed,
    VisionTransformer,
    ViTConfig,
    count_parameters,
    load_timm_state_dict,
    patch_embed_as_linear,
    set_fused_attention,
)

# isort: split
import torch


@output("vit-shapes", page="vit/implementation")
def shapes():
    # --8<-- [start:shapes]
    # 224×224 images, 16×16 patches, D = 192, 12 blocks, 3 heads
    config = ViTConfig.deit_tiny()
    torch.manual_seed(0)  # the same random weights wherever this runs
    model = VisionTransformer(config).eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        print(f"{'images':>22}: {tuple(x.shape)}")
        tokens = model.patch_embed(x)
        print(f"{'patch_embed':>22}: {tuple(tokens.shape)}")
        tokens = torch.cat([model.cls_token.expand(2, -1, -1), tokens], dim=1)
        print(f"{'+ cls_token':>22}: {tuple(tokens.shape)}")
        tokens = tokens + model.pos_embed
        print(f"{'+ pos_embed':>22}: {tuple(tokens.shape)}")
        tokens, attention = model.blocks[0](tokens, return_attention=True)
        print(
            f"{'blocks[0]':>22}: {tuple(tokens.shape)}, "
            f"attention {tuple(attention.shape)}"
        )
        for block in model.blocks[1:]:
            tokens, _ = block(tokens)
        tokens = model.norm(tokens)
        print(f"{'blocks[1:], norm':>22}: {tuple(tokens.shape)}")
        logits = model.head(tokens[:, 0])
        print(f"{'head(class token)':>22}: {tuple(logits.shape)}")
        print("max |logits - model(x)| =", (logits - model(x)).abs().max().item())
    # --8<-- [end:shapes]


@output("vit-patch-embed-equal", page="vit/implementation")
def patch_embed_equal():
    # --8<-- [start:patch-embed-equal]
    torch.manual_seed(0)
    patch_embed = PatchEmbed(img_size=224, patch_size=16, in_chans=3, embed_dim=192)
    images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        by_conv = patch_embed(images)  # (2, 196, 192)
        by_linear = patch_embed_as_linear(patch_embed, images)  # (2, 196, 192)
    print("shapes:", tuple(by_conv.shape), tuple(by_linear.shape))
    print("max |conv - reshape+linear| =", (by_conv - by_linear).abs().max().item())
    # --8<-- [end:patch-embed-equal]


@output("vit-timm-equal", page="vit/implementation")
def timm_equal():
    # --8<-- [start:timm-equal]
    import timm

    from snippets.vit.model import count_parameters, set_fused_attention

    torch.manual_seed(0)  # random weights, the same wherever this runs
    reference = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    ours = VisionTransformer(ViTConfig.deit_tiny()).eval()
    load_timm_state_dict(ours, reference.state_dict())  # every key by name and shape
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    for fused in (True, False):
        set_fused_attention(reference, fused)
        with torch.no_grad():
            diff = (ours(x) - reference(x)).abs().max().item()
        print(f"timm fused attention {fused!s:5}: max |ours - timm| = {diff:.2e}")
    print(
        f"parameters: ours {count_parameters(ours):,}, "
        f"timm {count_parameters(reference):,}"
    )
    # --8<-- [end:timm-equal]


@values("vit-timm-check", page="vit/implementation")
def timm_check() -> dict:
    import timm

    torch.manual_seed(1)  # other random weights than the listing's
    reference = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    ours = VisionTransformer(ViTConfig.deit_tiny()).eval()
    load_timm_state_dict(ours, reference.state_dict())
    x = torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    diffs = {}
    for fused in (True, False):
        set_fused_attention(reference, fused)
        with torch.no_grad():
            diff = (ours(x) - reference(x)).abs().max().item()
        diffs["fused" if fused else "explicit"] = diff
    return {
        "max_diff": max(diffs.values()),
        **diffs,
        "ours": count_parameters(ours),
        "timm": count_parameters(reference),
    }


@output("vit-bad-input", page="vit/implementation", raises="ValueError")
def bad_input():
    # --8<-- [start:bad-input]
    model = VisionTransformer(ViTConfig.deit_tiny())
    # divisible by 16, but not the 224 the model was built for
    model(torch.randn(1, 3, 256, 256))
    # --8<-- [end:bad-input]


@output(
    "vit-bad-state-dict", page="vit/implementation", raises="StateDictMismatchError"
)
def bad_state_dict():
    # --8<-- [start:bad-state-dict]
    state = VisionTransformer(ViTConfig.deit_tiny()).state_dict()
    del state["blocks.11.mlp.fc2.bias"]  # a missing key
    key = "blocks.0.attn.qkv.weight"
    state[key] = state[key][:, :96]  # a wrong shape
    state["head.scale"] = torch.ones(1)  # a key our model does not have
    load_timm_state_dict(VisionTransformer(ViTConfig.deit_tiny()), state)
    # --8<-- [end:bad-state-dict]


def breakdown(config: ViTConfig) -> dict:
    """Parameters per component of a built model (on the meta device: no memory is
    allocated)."""
    with torch.device("meta"):
        model = VisionTransformer(config)

    def count(prefix):
        return sum(
            p.numel() for n, p in model.named_parameters() if n.startswith(prefix)
        )

    block = {
        part: count(f"blocks.0.{part}") for part in ("norm1", "attn", "norm2", "mlp")
    }
    parts = {
        "patch_embed": count("patch_embed"),
        "cls_token": count("cls_token"),
        "pos_embed": count("pos_embed"),
        "blocks": count("blocks."),
        "norm": count("norm."),
        "head": count("head"),
    }
    total = count_parameters(model)
    assert sum(parts.values()) == total == config.num_parameters()
    return {
        "parts": parts,
        "block": block,
        "depth": config.depth,
        "total": total,
        "blocks_share": parts["blocks"] / total,
    }


@values("vit-param-breakdown", page="vit/implementation")
def param_breakdown() -> dict:
    return {
        "digits": breakdown(digits.DIGITS_CONFIG),
        "deit_tiny": breakdown(ViTConfig.deit_tiny()),
    }


@values(
    "vit-digits",
    page="vit/implementation",
    files=("vit-digits.pt",),
    quick={"epochs": 1},
)
def train_digits(outdir, epochs=digits.EPOCHS) -> dict:
    """The digits ViT, trained once per change of its code; the checkpoint is reused by
    other articles."""
    model, history, seconds = digits.train_digits_vit(
        epochs=epochs, seed=0, num_threads=1
    )
    digits.save_checkpoint(
        outdir / "vit-digits.pt",
        model,
        seed=0,
        img_size=digits.DIGITS_CONFIG.img_size,
        split_seed=0,
        history=history,
    )
    (X_train, _), (X_test, _) = digits.load_data(digits.DIGITS_CONFIG.img_size)
    smoothing = inspect.signature(digits.train).parameters["label_smoothing"].default
    return {
        "history": history,
        "label_smoothing": smoothing,
        "loss_floor": _smoothed_loss_floor(smoothing, classes=10),
        "final_loss": history["train_loss"][-1],
        "seconds": seconds,
        "accuracy": history["test_accuracy"][-1],
        "best": max(history["test_accuracy"]),
        "epochs": len(history["train_loss"]),
        "parameters": count_parameters(model),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "threads": 1,
    }


def _smoothed_loss_floor(smoothing: float, classes: int) -> float:
    """The lowest training loss label smoothing allows: the cross-entropy of a
    prediction equal to the smoothed target itself, its entropy (torch computes it)."""
    target = torch.full((classes,), smoothing / classes)  # what each wrong class gets
    target[0] += 1 - smoothing  # the right class: 1 - ε + ε/K
    loss = torch.nn.functional.cross_entropy(
        target.log()[None], torch.tensor([0]), label_smoothing=smoothing
    )
    return loss.item()


@output("vit-digits-one-run", page="vit/implementation")
def digits_short_run():
    # --8<-- [start:digits-run]
    from snippets.vit import digits
    from snippets.vit.model import count_parameters

    train_data, test_data = digits.load_data(img_size=16)
    model = digits.make_model(digits.DIGITS_CONFIG, seed=0)
    parameters = f"{count_parameters(model):,}"
    print("images:", tuple(train_data[0].shape), "parameters:", parameters)
    history = digits.train(model, train_data, test_data, epochs=3, seed=0)
    accuracies = " ".join(f"{a:.3f}" for a in history["test_accuracy"])
    print("test accuracy after each of 3 epochs:", accuracies)
    # --8<-- [end:digits-run]


@figure("vit-digits-curves", page="vit/implementation", needs=("vit-digits",))
def digits_curves(theme, vit_digits) -> Figure:
    history = vit_digits["history"]
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig = Figure(figsize=(7.2, 3.2))
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, history["train_loss"], color=theme.colors[0])
    loss_ax.axhline(
        vit_digits["loss_floor"],
        color=theme.muted,
        linestyle="--",
        linewidth=1,
        label=theme.text(
            ko=f"레이블 스무딩에서 가능한 최소 손실 ({vit_digits['loss_floor']:.2f})",
            en=f"lowest loss with label smoothing ({vit_digits['loss_floor']:.2f})",
        ),
    )
    loss_ax.legend(fontsize="small", loc="center right")  # clear of the curve's start
    epoch = theme.text(ko="에폭", en="epoch")
    loss_ax.set(
        xlabel=epoch,
        ylabel=theme.text(ko="학습 손실", en="training loss"),
        ylim=(0, None),
    )
    accuracy = 100 * np.array(history["test_accuracy"])  # (epochs,)
    acc_ax.plot(epochs, accuracy, color=theme.colors[1])
    acc_ax.set(
        xlabel=epoch,
        ylabel=theme.text(ko="테스트 정확도 (%)", en="test accuracy (%)"),
        # every epoch on the axis, the first ones included
        ylim=(10 * np.floor(accuracy.min() / 10), 100),
    )
    fig.tight_layout()
    return fig
