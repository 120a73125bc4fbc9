"""Month-of-year embeddings learned from the airline passengers series, and what they cost to
look up compared with a one-hot product.

Each month of the training years (1950-1958) is described by two standardised numbers:
how far log passengers sit above the average of the 12 months before (the seasonal offset),
and the change from the previous month. A 12-row ``nn.Embedding`` feeds a small head that has
to predict both from the month alone, so whatever distinguishes the months has to end up in
the table. Weight decay keeps only what the head uses.
"""

from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from snippets.build import figure, output, track, values
from snippets.nlp import embedding as emb

# isort: split
# --8<-- [start:months]
import calendar

import numpy as np
import torch
from torch import nn

from snippets.sequence import airline
from snippets.threads import torch_threads

MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]  # Jan .. Dec


def month_data(train_part):
    """Month index (0-11) and the two standardised targets of every training month after the first year."""
    log = np.log(train_part.to_numpy())
    t = np.arange(12, len(log))
    trailing = np.array([log[i - 12:i].mean() for i in t])  # level of the year before month t
    targets = np.stack([log[t] - trailing, log[t] - log[t - 1]], axis=1)  # (N, 2): offset, change
    targets = (targets - targets.mean(0)) / targets.std(0)
    month = np.array([p.month - 1 for p in train_part.index[t]])
    return torch.tensor(month), torch.tensor(targets, dtype=torch.float32)


class MonthModel(nn.Module):
    def __init__(self, dim: int = 8):
        super().__init__()
        self.month = nn.Embedding(12, dim)  # one learned vector per calendar month
        self.head = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 2))

    def forward(self, month: torch.Tensor) -> torch.Tensor:
        return self.head(self.month(month))  # (N,) -> (N, dim) -> (N, 2)


def train_months(seed: int, epochs: int = 500, weight_decay: float = 1.0):
    month, targets = month_data(airline.split(airline.load_airline())[0])
    torch.manual_seed(seed)
    model = MonthModel()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=weight_decay)
    losses = []
    for _ in range(epochs):  # full batch: 108 months
        loss = nn.functional.mse_loss(model(month), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def nearest_by_cosine(vectors: torch.Tensor) -> list[int]:
    """For every row, the index of the most similar other row by cosine similarity."""
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    similarity = unit @ unit.T  # (12, 12)
    similarity.fill_diagonal_(-2.0)  # not itself
    return similarity.argmax(dim=1).tolist()
# --8<-- [end:months]


@output("embedding-months-run", page="nlp/embedding", data=("airline-passengers.csv",))
def one_run():
    # --8<-- [start:months-run]
    model, losses = train_months(seed=0)
    vectors = model.month.weight.detach()  # (12, 8): one row per month
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} after {len(losses)} epochs")
    print("most similar month by cosine similarity:")
    for m, n in enumerate(nearest_by_cosine(vectors)):
        print(f"  {MONTHS[m]} -> {MONTHS[n]}", end="\n" if m % 4 == 3 else "")
    # --8<-- [end:months-run]


SEEDS = (0, 1, 2, 3, 4)
SUMMER = (5, 6, 7)  # Jun, Jul, Aug
VOCABS = (1_000, 3_000, 10_000, 30_000, 100_000)


def profiles() -> dict[str, list[float]]:
    """Per calendar month, the mean of each target over the training years (unstandardised):
    the seasonal offset and the change from the previous month, both in log passengers."""
    train_part = airline.split(airline.load_airline())[0]
    log = np.log(train_part.to_numpy())
    t = np.arange(12, len(log))
    offset = log[t] - np.array([log[i - 12:i].mean() for i in t])
    change = log[t] - log[t - 1]
    month = np.array([p.month - 1 for p in train_part.index[t]])
    return {name: [float(v[month == m].mean()) for m in range(12)] for name, v in
            (("offset", offset), ("change", change))}


@values("embedding-months", page="nlp/embedding", data=("airline-passengers.csv",))
def month_embeddings() -> dict:
    profile = profiles()
    runs = []
    for seed in track(SEEDS, "seed"):
        model, losses = train_months(seed)
        vectors = model.month.weight.detach()
        pca = PCA(n_components=2).fit(vectors.numpy())
        coords = pca.transform(vectors.numpy())
        nearest = nearest_by_cosine(vectors)
        runs.append({
            "seed": seed, "loss_first": losses[0], "loss_last": losses[-1],
            "nearest": nearest, "coords": coords.tolist(),
            "explained": float(pca.explained_variance_ratio_.sum()),
            # how much of the seasonal profile a linear read-out of the 2-D projection recovers
            **{f"{name}_r2": float(LinearRegression().fit(coords, p).score(coords, p)) for name, p in profile.items()},
            "summer_pairs": sum(nearest[m] in SUMMER for m in SUMMER),
        })
    return {
        "months": MONTHS, "profile": profile, "runs": runs, "seeds": len(SEEDS),
        "summer_pairs_total": sum(r["summer_pairs"] for r in runs), "summer_pairs_possible": len(SUMMER) * len(SEEDS),
        "explained_min": min(r["explained"] for r in runs),
        **{f"{name}_r2_min": min(r[f"{name}_r2"] for r in runs) for name in profile},
        "seed0_nearest": {MONTHS[m]: MONTHS[n] for m, n in enumerate(runs[0]["nearest"])},
        "busiest": MONTHS[int(np.argmax(profile["offset"]))], "quietest": MONTHS[int(np.argmin(profile["offset"]))],
    }


@values("embedding-cost", page="nlp/embedding")
def lookup_cost() -> dict:
    with torch_threads(1):  # one core: timings that do not depend on what else runs
        rows = [emb.cost(v) for v in track(VOCABS, "vocabulary size")]
    largest = rows[-1]
    return {
        "rows": rows, "batch": 512, "dim": 64,
        "largest": largest["vocab"],
        "lookup_ms": 1000 * largest["lookup_s"], "one_hot_ms": 1000 * largest["one_hot_s"],
        "ratio": largest["one_hot_s"] / largest["lookup_s"],
        "one_hot_mib": largest["one_hot_bytes"] / 2**20, "lookup_kib": largest["lookup_bytes"] / 2**10,
        "lookup_spread": max(r["lookup_s"] for r in rows) / min(r["lookup_s"] for r in rows),
    }


@figure("embedding-cost-figure", page="nlp/embedding", needs=("embedding-cost",))
def cost_figure(theme, embedding_cost) -> Figure:
    fig = Figure(figsize=(7.2, 3.4))
    time_ax, mem_ax = fig.subplots(1, 2)
    vocab = [r["vocab"] for r in embedding_cost["rows"]]
    for key, label, color in (("lookup", "nn.Embedding lookup", theme.colors[0]),
                              ("one_hot", "one_hot(idx) @ W", theme.colors[1])):
        time_ax.plot(vocab, [1000 * r[f"{key}_s"] for r in embedding_cost["rows"]], "o-", color=color, label=label)
        mem_ax.plot(vocab, [r[f"{key}_bytes"] / 2**20 for r in embedding_cost["rows"]], "o-", color=color, label=label)
    time_ax.set(xscale="log", yscale="log", xlabel="vocabulary size", ylabel="time (ms)",
                title=f"{embedding_cost['batch']} indices, dim {embedding_cost['dim']}")
    mem_ax.set(xscale="log", yscale="log", xlabel="vocabulary size", ylabel="extra memory (MiB)",
               title="besides the weight table")
    time_ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


@figure("embedding-months-pca", page="nlp/embedding", needs=("embedding-months",))
def months_figure(theme, embedding_months) -> Figure:
    run = embedding_months["runs"][0]
    coords = np.array(run["coords"])  # (12, 2)
    profile = np.array(embedding_months["profile"]["offset"])
    fig = Figure(figsize=(6.0, 4.4))
    ax = fig.subplots()
    points = ax.scatter(coords[:, 0], coords[:, 1], c=profile, cmap=theme.cmap, s=60, zorder=3)
    for (x, y), name in zip(coords, embedding_months["months"], strict=True):
        ax.annotate(name, (x, y), xytext=(5, 4), textcoords="offset points")
    ax.set(xlabel="PC 1", ylabel="PC 2", title=f"month embeddings, seed {run['seed']} (PCA of 8 dims)")
    fig.colorbar(points, ax=ax, label="mean seasonal offset (log)")
    return fig
