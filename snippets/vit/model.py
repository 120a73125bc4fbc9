"""A Vision Transformer (ViT, DeiT) written from scratch in plain PyTorch.

The module and parameter names mirror timm's ``VisionTransformer``
(``patch_embed.proj``, ``cls_token``, ``pos_embed``,
``blocks.<i>.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2``, ``norm``, ``head``), so a
timm state dict of the same configuration loads one-to-one with
``load_state_dict(strict=True)``. Nothing here imports timm; the tests compare against
it.

Shapes in comments: B batch, C image channels, H×W image size, p patch size,
g = H/p patches per side, N = g·g patches, T = 1 + N tokens (class token first),
D embedding width, h heads, d = D/h head width.
"""

# --8<-- [start:imports]
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# --8<-- [end:imports]


# --8<-- [start:config]
@dataclass(frozen=True)
class ViTConfig:
    """Everything that fixes a ViT's shapes, plus its dropout rates.

    The dropout rates are all 0 by default, as in inference.
    """

    img_size: int = 224  # square input images, img_size × img_size pixels
    patch_size: int = 16  # square patches, patch_size × patch_size pixels
    in_chans: int = 3
    num_classes: int = 1000  # 0: no classifier, returns the class-token features
    embed_dim: int = 768  # D, the width of every token
    depth: int = 12  # number of transformer blocks
    num_heads: int = 12
    mlp_ratio: float = 4.0  # MLP hidden width = mlp_ratio · D
    qkv_bias: bool = True
    drop_rate: float = 0.0  # dropout on the class token before the head
    pos_drop_rate: float = 0.0  # dropout after adding the position embeddings
    proj_drop_rate: float = 0.0  # dropout after the attention projection, in the MLP
    attn_drop_rate: float = 0.0  # dropout on the attention weights
    drop_path_rate: float = 0.0  # stochastic depth, from 0 to this over the blocks

    def __post_init__(self):
        if self.img_size % self.patch_size:
            raise ValueError(
                f"img_size {self.img_size} is not divisible by "
                f"patch_size {self.patch_size}"
            )
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"embed_dim {self.embed_dim} is not divisible by "
                f"num_heads {self.num_heads}"
            )

    @property
    def grid_size(self) -> int:
        """Patches per side, g = img_size / patch_size."""
        return self.img_size // self.patch_size

    @property
    def num_patches(self) -> int:
        """N = g², the number of patch tokens (the class token comes on top)."""
        return self.grid_size**2

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_heads

    @property
    def mlp_hidden_dim(self) -> int:
        return int(self.embed_dim * self.mlp_ratio)

    def num_parameters(self) -> int:
        """The parameter count worked out from the shapes alone.

        It equals counting a built model's parameters.
        """
        D = self.embed_dim
        P = self.in_chans * self.patch_size**2
        H = self.mlp_hidden_dim
        # Conv2d(C, D, p, stride=p): weight (D, C, p, p) and bias (D,)
        patch_embed = P * D + D
        # cls_token (1, 1, D) and pos_embed (1, 1 + N, D)
        tokens = D + (1 + self.num_patches) * D
        # qkv and proj
        attention = 3 * D * D + (3 * D if self.qkv_bias else 0) + D * D + D
        mlp = D * H + H + H * D + D  # fc1 and fc2
        block = 2 * D + attention + 2 * D + mlp  # norm1, attn, norm2, mlp
        head = D * self.num_classes + self.num_classes
        return patch_embed + tokens + self.depth * block + 2 * D + head

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> "ViTConfig":
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown ViTConfig field(s): {', '.join(unknown)}")
        return cls(**values)

    # The published configurations (224 × 224 input, 1000 ImageNet classes);
    # keyword arguments override fields.
    @classmethod
    def deit_tiny(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=16, embed_dim=192, depth=12, num_heads=3)
        return cls(**{**preset, **overrides})

    @classmethod
    def deit_small(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=16, embed_dim=384, depth=12, num_heads=6)
        return cls(**{**preset, **overrides})

    @classmethod
    def deit_base(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12)
        return cls(**{**preset, **overrides})

    @classmethod
    def vit_base_patch16(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12)
        return cls(**{**preset, **overrides})

    @classmethod
    def vit_large_patch16(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16)
        return cls(**{**preset, **overrides})

    @classmethod
    def vit_huge_patch14(cls, **overrides) -> "ViTConfig":
        preset = dict(patch_size=14, embed_dim=1280, depth=32, num_heads=16)
        return cls(**{**preset, **overrides})


# --8<-- [end:config]


# Display name -> (timm model name, configuration), for tables of sizes and parameter
# counts.
PRESETS: dict[str, tuple[str, ViTConfig]] = {
    "DeiT-Ti": ("deit_tiny_patch16_224", ViTConfig.deit_tiny()),
    "DeiT-S": ("deit_small_patch16_224", ViTConfig.deit_small()),
    "DeiT-B": ("deit_base_patch16_224", ViTConfig.deit_base()),
    "ViT-B/16": ("vit_base_patch16_224", ViTConfig.vit_base_patch16()),
    "ViT-L/16": ("vit_large_patch16_224", ViTConfig.vit_large_patch16()),
    "ViT-H/14": ("vit_huge_patch14_224", ViTConfig.vit_huge_patch14()),
}


# --8<-- [start:patch-embed]
class PatchEmbed(nn.Module):
    """Cut the image into p×p patches and project each one linearly to D numbers.

    A Conv2d whose kernel size and stride both equal the patch size does exactly that:
    each output position sees one patch, and the D filters are the rows of the
    projection matrix.
    """

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
    ):
        super().__init__()
        self.img_size, self.patch_size, self.in_chans = img_size, patch_size, in_chans
        self.grid_size = img_size // patch_size
        self.num_patches = self.grid_size**2
        self.proj = nn.Conv2d(
            in_chans, embed_dim, kernel_size=patch_size, stride=patch_size
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.proj(x)  # (B, C, H, W) -> (B, D, g, g)
        x = x.flatten(2)  # (B, D, g, g) -> (B, D, N), patches in row-major order
        return x.transpose(1, 2)  # (B, D, N) -> (B, N, D): one token per patch

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a ValueError naming what was expected and what was given."""
        if x.ndim != 4:
            hint = ""
            if x.ndim == 3:
                hint = " (one image? add the batch dimension with x.unsqueeze(0))"
            raise ValueError(
                f"expected a 4-D batch of images (B, C, H, W), got a {x.ndim}-D "
                f"tensor of shape {tuple(x.shape)}{hint}"
            )
        _, C, H, W = x.shape
        if C != self.in_chans:
            raise ValueError(
                f"expected {self.in_chans} input channel(s), got {C} "
                f"(input shape {tuple(x.shape)})"
            )
        p, size, g = self.patch_size, self.img_size, self.grid_size
        if H % p or W % p:
            raise ValueError(
                f"image size {H}x{W} is not divisible by the patch size {p}"
            )
        if (H, W) != (size, size):
            raise ValueError(
                f"expected {size}x{size} images ({g}x{g} patches of {p}x{p}), "
                f"got {H}x{W} ({H // p}x{W // p} patches); "
                f"the position embeddings were learned for a {g}x{g} grid and would "
                f"need resampling: build the "
                f"model with img_size={H} and load the weights with "
                f"load_timm_state_dict(..., "
                f"interpolate_pos_embed=True), which calls resample_pos_embed"
            )


# --8<-- [end:patch-embed]


# --8<-- [start:patchify]
def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Split (B, C, H, W) images into flattened patches (B, N, C·p·p), row-major over
    the patch grid."""
    B, C, H, W = images.shape
    p = patch_size
    gh, gw = H // p, W // p
    # rows and columns split
    x = images.reshape(B, C, gh, p, gw, p)  # (B, C, H, W) -> (B, C, gh, p, gw, p)
    # grid first, patch contents last
    x = x.permute(0, 2, 4, 1, 3, 5)  # (B, C, gh, p, gw, p) -> (B, gh, gw, C, p, p)
    # one vector per patch
    return x.reshape(B, gh * gw, C * p * p)  # (B, gh, gw, C, p, p) -> (B, N, C·p·p)


def patch_embed_as_linear(
    patch_embed: PatchEmbed, images: torch.Tensor
) -> torch.Tensor:
    """The same result as ``patch_embed(images)``, computed as patchify + one matrix
    multiply."""
    weight = patch_embed.proj.weight  # (D, C, p, p): one filter per output dimension
    # same (C, p, p) order as patchify
    weight = weight.reshape(weight.shape[0], -1)  # (D, C, p, p) -> (D, C·p·p)
    patches = patchify(images, patch_embed.patch_size)  # (B, N, C·p·p)
    bias = patch_embed.proj.bias  # (D,)
    return patches @ weight.T + bias  # (B, N, C·p·p) @ (C·p·p, D) -> (B, N, D)


# --8<-- [end:patchify]


# --8<-- [start:attention]
class Attention(nn.Module):
    """Multi-head self-attention: one Linear makes q, k and v for all heads, another
    mixes the heads.

    By default the output comes from PyTorch's ``scaled_dot_product_attention``, whose
    fused kernels (flash, memory-efficient) never build the attention matrix; its math
    fallback does. With ``return_attention=True`` (or ``fused_attn = False``) the
    softmax(q·kᵀ/√d_h) matrix is computed explicitly and returned.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5  # 1/√d
        self.fused_attn = True
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the attention output (B, T, D) and the weights (B, h, T, T), or None
        when not asked for."""
        B, T, D = x.shape
        h, d = self.num_heads, self.head_dim
        qkv = self.qkv(x)  # (B, T, 3·D)
        qkv = qkv.reshape(B, T, 3, h, d)  # (B, T, 3·D) -> (B, T, 3, h, d)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (B, T, 3, h, d) -> (3, B, h, T, d)
        q, k, v = qkv.unbind(0)  # three (B, h, T, d)
        if self.fused_attn and not return_attention:
            attn = None
            dropout_p = self.attn_drop.p if self.training else 0.0
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        else:
            k_t = k.transpose(-2, -1)  # (B, h, T, d) -> (B, h, d, T)
            scores = (q * self.scale) @ k_t  # (B, h, T, T): q·kᵀ/√d
            # row i says how much token i takes from each token
            attn = scores.softmax(dim=-1)  # (B, h, T, T)
            x = self.attn_drop(attn) @ v  # (B, h, T, T) @ (B, h, T, d) -> (B, h, T, d)
        x = x.transpose(1, 2)  # (B, h, T, d) -> (B, T, h, d)
        x = x.reshape(B, T, D)  # (B, T, h, d) -> (B, T, D): heads side by side
        x = self.proj_drop(self.proj(x))  # (B, T, D)
        return x, attn


# --8<-- [end:attention]


# --8<-- [start:block]
class Mlp(nn.Module):
    """Two Linear layers with a GELU between them, applied to every token separately."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act(self.fc1(x)))  # (B, T, D) -> (B, T, mlp_ratio·D)
        return self.drop2(self.fc2(x))  # (B, T, mlp_ratio·D) -> (B, T, D)


class DropPath(nn.Module):
    """Stochastic depth: in training, drop a residual branch for whole samples at
    random."""

    def __init__(self, drop_prob: float):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = 1.0 - self.drop_prob
        # one draw per sample
        mask = x.new_empty(x.shape[0], 1, 1).bernoulli_(keep)  # (B, 1, 1)
        return x * mask / keep


class Block(nn.Module):
    """A pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x))."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        proj_drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(
            dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop
        )
        self.drop_path1 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=proj_drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        # y (B, T, D), attn (B, h, T, T) or None
        y, attn = self.attn(self.norm1(x), return_attention=return_attention)
        x = x + self.drop_path1(y)
        x = x + self.drop_path2(self.mlp(self.norm2(x)))
        return x, attn


# --8<-- [end:block]


# --8<-- [start:vit]
class VisionTransformer(nn.Module):
    """Patch embedding, class token, learned position embeddings, ``depth`` blocks,
    LayerNorm, linear head."""

    def __init__(self, config: ViTConfig):
        super().__init__()
        self.config = config
        D = config.embed_dim
        self.num_prefix_tokens = 1  # the class token
        self.patch_embed = PatchEmbed(
            config.img_size, config.patch_size, config.in_chans, D
        )
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + config.num_patches, D))
        self.pos_drop = nn.Dropout(config.pos_drop_rate)
        drop_paths = torch.linspace(
            0, config.drop_path_rate, config.depth, device="cpu"
        ).tolist()
        self.blocks = nn.ModuleList(
            Block(
                D,
                config.num_heads,
                config.mlp_ratio,
                config.qkv_bias,
                proj_drop=config.proj_drop_rate,
                attn_drop=config.attn_drop_rate,
                drop_path=drop_path,
            )
            for drop_path in drop_paths
        )
        self.norm = nn.LayerNorm(D, eps=1e-6)
        self.head_drop = nn.Dropout(config.drop_rate)
        self.head = (
            nn.Linear(D, config.num_classes)
            if config.num_classes > 0
            else nn.Identity()
        )
        self.init_weights()

    def init_weights(self) -> None:
        """timm's default ViT initialisation: small truncated normals, zero biases."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def no_weight_decay(self) -> set[str]:
        """Parameters usually excluded from weight decay."""
        return {"pos_embed", "cls_token"}

    def forward_features(self, x: torch.Tensor, return_attention: bool = False):
        """(B, C, H, W) images -> normalised tokens (B, T, D), plus each block's
        attention when asked."""
        x = self.patch_embed(x)  # (B, N, D)
        # a view, not a copy
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (1, 1, D) -> (B, 1, D)
        x = torch.cat([cls, x], dim=1)  # (B, T, D), T = 1 + N, class token first
        x = self.pos_drop(x + self.pos_embed)  # (B, T, D) + (1, T, D)
        attentions = []
        for block in self.blocks:
            # x (B, T, D), attn (B, h, T, T) or None
            x, attn = block(x, return_attention=return_attention)
            attentions.append(attn)
        x = self.norm(x)
        return (x, attentions) if return_attention else x

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        """Classify from the class token: (B, T, D) -> (B, num_classes)."""
        x = x[:, 0]  # (B, T, D) -> (B, D): the class token
        return self.head(self.head_drop(x))  # (B, D) -> (B, num_classes)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Logits (B, num_classes); with ``return_attention=True`` also a list of
        ``depth`` (B, h, T, T) tensors."""
        if return_attention:
            x, attentions = self.forward_features(x, return_attention=True)
            return self.forward_head(x), attentions
        return self.forward_head(self.forward_features(x))


# --8<-- [end:vit]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def set_fused_attention(model: nn.Module, enabled: bool) -> int:
    """Switch fused attention on or off in every module that has a ``fused_attn`` flag
    (ours and timm's).

    Returns how many modules were switched.
    """
    switched = 0
    for module in model.modules():
        if hasattr(module, "fused_attn"):
            module.fused_attn = enabled
            switched += 1
    return switched


# --8<-- [start:resample]
def resample_pos_embed(
    pos_embed: torch.Tensor,
    new_grid: int | tuple[int, int],
    num_prefix_tokens: int = 1,
    old_grid: int | tuple[int, int] | None = None,
    interpolation: str = "bicubic",
    antialias: bool = True,
) -> torch.Tensor:
    """Resize learned position embeddings to another patch grid, as timm's
    ``resample_abs_pos_embed`` does.

    The class token's embedding (the first ``num_prefix_tokens``) is kept; the N patch
    embeddings are laid out on their g×g grid and interpolated like an image with D
    channels (bicubic, align_corners=False).
    """
    new_h, new_w = (new_grid, new_grid) if isinstance(new_grid, int) else new_grid
    num_tokens = pos_embed.shape[1]
    if old_grid is None:
        side = math.isqrt(num_tokens - num_prefix_tokens)  # a square grid
        old_grid = (side, side)
    old_h, old_w = (old_grid, old_grid) if isinstance(old_grid, int) else old_grid
    if old_h * old_w != num_tokens - num_prefix_tokens:
        raise ValueError(
            f"pos_embed has {num_tokens - num_prefix_tokens} patch positions, "
            f"which is not a {old_h}x{old_w} grid"
        )
    if (old_h, old_w) == (new_h, new_w):
        return pos_embed
    prefix = pos_embed[:, :num_prefix_tokens]  # (1, 1, D)
    grid = pos_embed[:, num_prefix_tokens:]  # (1, N, D)
    D = grid.shape[-1]
    grid = grid.float()  # interpolate wants float32
    grid = grid.reshape(1, old_h, old_w, D)  # (1, N, D) -> (1, g, g, D)
    # an image with D channels
    grid = grid.permute(0, 3, 1, 2)  # (1, g, g, D) -> (1, D, g, g)
    # align_corners and antialias apply to the smooth modes only
    smooth = interpolation in ("bilinear", "bicubic")
    corners = {"align_corners": False} if smooth else {}
    # (1, D, g, g) -> (1, D, g', g')
    grid = F.interpolate(
        grid,
        size=(new_h, new_w),
        mode=interpolation,
        antialias=antialias and smooth,
        **corners,
    )
    grid = grid.permute(0, 2, 3, 1)  # (1, D, g', g') -> (1, g', g', D)
    grid = grid.reshape(1, new_h * new_w, D)  # (1, g', g', D) -> (1, N', D)
    grid = grid.to(pos_embed.dtype)
    return torch.cat([prefix, grid], dim=1)  # (1, 1 + N', D)


# --8<-- [end:resample]


def position_similarity(
    pos_embed: torch.Tensor, num_prefix_tokens: int = 1
) -> torch.Tensor:
    """Cosine similarity of every patch's position embedding with every other's, (N, N)
    (the ViT paper's figure 7, centre); the class token's row is left out."""
    pos = pos_embed.detach()[0, num_prefix_tokens:]  # (1, T, D) -> (N, D)
    unit = pos / pos.norm(dim=1, keepdim=True)
    return unit @ unit.T  # (N, D) @ (D, N) -> (N, N)


# --8<-- [start:load-errors]
class StateDictMismatchError(ValueError):
    """A state dict that does not fit the model; ``missing``, ``unexpected`` and
    ``mismatched`` list why."""

    def __init__(
        self,
        message: str,
        missing: list[str],
        unexpected: list[str],
        mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
    ):
        super().__init__(message)
        self.missing, self.unexpected, self.mismatched = missing, unexpected, mismatched


def _listing(title: str, lines: list[str], limit: int = 10) -> list[str]:
    if not lines:
        return []
    shown = [f"    {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"    ... and {len(lines) - limit} more")
    return [f"  {title} ({len(lines)}):", *shown]


# --8<-- [end:load-errors]


# --8<-- [start:load]
def load_timm_state_dict(
    model: VisionTransformer,
    state_dict: Mapping[str, torch.Tensor],
    *,
    interpolate_pos_embed: bool = False,
) -> None:
    """Load a timm ``VisionTransformer`` state dict (or a checkpoint holding one under
    "model" or "state_dict") into ``model``.

    Every key must match by name and shape; otherwise a StateDictMismatchError (a
    ValueError) lists the missing keys, the unexpected keys and, for each shape
    mismatch, the expected and the given shape. With ``interpolate_pos_embed=True``
    position embeddings learned on another patch grid are resampled to the model's grid
    first (fine-tuning at a higher resolution).
    """
    # official DeiT checkpoints wrap the weights in {"model": ...}
    for wrapper in ("model", "state_dict"):
        if isinstance(state_dict.get(wrapper), Mapping):
            state_dict = state_dict[wrapper]
            break
    state_dict = dict(state_dict)
    expected = model.state_dict()
    given_pos = state_dict.get("pos_embed")
    if (
        interpolate_pos_embed
        and given_pos is not None
        and given_pos.shape != expected["pos_embed"].shape
    ):
        state_dict["pos_embed"] = resample_pos_embed(
            given_pos, model.config.grid_size, model.num_prefix_tokens
        )
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    mismatched = [
        (key, tuple(expected[key].shape), tuple(state_dict[key].shape))
        for key in expected
        if key in state_dict and state_dict[key].shape != expected[key].shape
    ]
    if missing or unexpected or mismatched:
        lines = [f"state dict does not fit the model ({model.config}):"]
        lines += _listing("missing keys", missing)
        lines += _listing("unexpected keys", unexpected)
        lines += _listing(
            "shape mismatches",
            [f"{key}: expected {exp}, given {got}" for key, exp, got in mismatched],
        )
        if any(key == "pos_embed" for key, _, _ in mismatched):
            lines.append(
                "  (pos_embed from another image size: pass interpolate_pos_embed=True"
                " to resample it)"
            )
        raise StateDictMismatchError("\n".join(lines), missing, unexpected, mismatched)
    model.load_state_dict(state_dict, strict=True)


# --8<-- [end:load]
