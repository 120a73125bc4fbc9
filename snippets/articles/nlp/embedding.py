"""The nn.Embedding article (/nlp/embedding/): its listings and build jobs.

The lookup, the one-hot product and the cost measurement live in the library module
:mod:`snippets.nlp.embedding`. Here: the runs whose output the page shows (every option
of ``nn.Embedding``), the cost figure, and month-of-year embeddings learned from the
airline passengers series.

Each month of the training years (1950-1958) is described by two standardised numbers:
how far log passengers sit above the average of the 12 months before (the seasonal
offset), and the change from the previous month. A 12-row ``nn.Embedding`` feeds a small
head that has to predict both from the month alone, so whatever distinguishes the months
has to end up in the table. Weight decay keeps only what the head uses.
"""

import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import LeaveOneOut, cross_val_predict

from snippets.build import figure, output, track, values
from snippets.nlp import embedding as emb
from snippets.nlp.embedding import lookup, one_hot_product

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
    """Month index (0-11) and the two standardised targets of every training month after
    the first year."""
    log = np.log(train_part.to_numpy())
    t = np.arange(12, len(log))
    # level of the year before month t
    trailing = np.array([log[i - 12 : i].mean() for i in t])
    # two columns: offset, change
    targets = np.stack([log[t] - trailing, log[t] - log[t - 1]], axis=1)  # (N, 2)
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
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-2, weight_decay=weight_decay
    )
    losses = []
    for _ in range(epochs):  # full batch: 108 months
        loss = nn.functional.mse_loss(model(month), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def nearest_by_cosine(vectors: torch.Tensor) -> list[int]:
    """For every row, the index of the most similar other row by cosine similarity,
    measured from the rows' mean (as PCA centres them), so it matches the PCA plot."""
    centred = vectors - vectors.mean(dim=0, keepdim=True)  # (12, 8)
    unit = centred / centred.norm(dim=1, keepdim=True)
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
    print("most similar month by cosine similarity (centred vectors):")
    for m, n in enumerate(nearest_by_cosine(vectors)):
        print(f"  {MONTHS[m]} -> {MONTHS[n]}", end="\n" if m % 4 == 3 else "")
    # --8<-- [end:months-run]


SEEDS = (0, 1, 2, 3, 4)
SUMMER = (5, 6, 7)  # Jun, Jul, Aug
VOCABS = (1_000, 3_000, 10_000, 30_000, 100_000)


def profiles() -> dict[str, list[float]]:
    """Per calendar month, the mean of each target over the training years
    (unstandardised): the seasonal offset and the change from the previous month, both
    in log passengers."""
    train_part = airline.split(airline.load_airline())[0]
    log = np.log(train_part.to_numpy())
    t = np.arange(12, len(log))
    offset = log[t] - np.array([log[i - 12 : i].mean() for i in t])
    change = log[t] - log[t - 1]
    month = np.array([p.month - 1 for p in train_part.index[t]])
    return {
        name: [float(v[month == m].mean()) for m in range(12)]
        for name, v in (("offset", offset), ("change", change))
    }


@values(
    "embedding-months",
    page="nlp/embedding",
    data=("airline-passengers.csv",),
    quick={"seeds": (0,), "epochs": 20},
)
def month_embeddings(seeds=SEEDS, epochs=500) -> dict:
    profile = profiles()
    runs = []
    for seed in track(seeds, "seed"):
        model, losses = train_months(seed, epochs)
        vectors = model.month.weight.detach()
        pca = PCA(n_components=2).fit(vectors.numpy())
        coords = pca.transform(vectors.numpy())
        nearest = nearest_by_cosine(vectors)
        # how much of the seasonal profile a linear read-out of the 2-D PCA recovers:
        # in sample (3 parameters fitted to 12 points), and each month predicted by a
        # read-out fitted to the other 11
        r2 = {}
        for name, p in profile.items():
            r2[f"{name}_r2"] = float(LinearRegression().fit(coords, p).score(coords, p))
            held_out = cross_val_predict(
                LinearRegression(), coords, p, cv=LeaveOneOut()
            )
            r2[f"{name}_r2_loo"] = float(r2_score(p, held_out))
        runs.append(
            {
                "seed": seed,
                "loss_first": losses[0],
                "loss_last": losses[-1],
                "nearest": nearest,
                "coords": coords.tolist(),
                "explained": float(pca.explained_variance_ratio_.sum()),
                **r2,
                "summer_pairs": sum(nearest[m] in SUMMER for m in SUMMER),
            }
        )
    # the same training without weight decay: how flat are the vectors then?
    no_decay = []
    for seed in seeds:
        model, _ = train_months(seed, epochs, weight_decay=0.0)
        vectors = model.month.weight.detach().numpy()
        no_decay.append(
            float(PCA(n_components=2).fit(vectors).explained_variance_ratio_.sum())
        )
    # the months at the edges of the seed-0 plot, as its alt text names them
    first = np.array(runs[0]["coords"])  # (12, 2)
    by_y, by_x = np.argsort(first[:, 1]), np.argsort(first[:, 0])
    edge = {
        "bottom": by_y[:3],
        "top": by_y[::-1][:4],
        "left": by_x[:3],
        "right": by_x[::-1][:4],
    }
    return {
        "months": MONTHS,
        "profile": profile,
        **{f"seed0_{k}": ", ".join(MONTHS[i] for i in v) for k, v in edge.items()},
        "runs": runs,
        "seeds": len(seeds),
        "summer_pairs_total": sum(r["summer_pairs"] for r in runs),
        "summer_pairs_possible": len(SUMMER) * len(seeds),
        # the summer months whose nearest month was not a summer month, in any seed
        "summer_misses": ", ".join(
            MONTHS[m]
            for m in SUMMER
            if any(r["nearest"][m] not in SUMMER for r in runs)
        ),
        # by chance: 2 of the 11 other months are summer months
        "summer_pairs_chance": len(SUMMER) * len(seeds) * 2 / 11,
        "explained_min": min(r["explained"] for r in runs),
        "explained_max_no_decay": max(no_decay),
        "decay_flattens": min(r["explained"] for r in runs) > max(no_decay),
        **{f"{name}_r2_min": min(r[f"{name}_r2"] for r in runs) for name in profile},
        **{
            f"{name}_r2_loo_min": min(r[f"{name}_r2_loo"] for r in runs)
            for name in profile
        },
        "seed0_nearest": {
            MONTHS[m]: MONTHS[n] for m, n in enumerate(runs[0]["nearest"])
        },
        "busiest": MONTHS[int(np.argmax(profile["offset"]))],
        "quietest": MONTHS[int(np.argmin(profile["offset"]))],
    }


@values(
    "embedding-cost", page="nlp/embedding", quick={"vocabs": (100, 300), "repeats": 1}
)
def lookup_cost(vocabs=VOCABS, repeats=5) -> dict:
    with torch_threads(1):  # one core: timings that do not depend on what else runs
        rows = [emb.cost(v, repeats=repeats) for v in track(vocabs, "vocabulary size")]
    largest = rows[-1]
    lookup_s = [r["lookup_s"] for r in rows]
    return {
        "rows": rows,
        "batch": 512,
        "dim": 64,
        "largest": largest["vocab"],
        "lookup_ms": 1000 * largest["lookup_s"],
        "one_hot_ms": 1000 * largest["one_hot_s"],
        "ratio": largest["one_hot_s"] / largest["lookup_s"],
        # to two significant digits: the lookup's time has about one
        "ratio_rounded": float(f"{largest['one_hot_s'] / largest['lookup_s']:.2g}"),
        "one_hot_mib": largest["one_hot_bytes"] / 2**20,
        "lookup_kib": largest["lookup_bytes"] / 2**10,
        "lookup_spread": max(lookup_s) / min(lookup_s),
    }


@figure("embedding-cost-figure", page="nlp/embedding", needs=("embedding-cost",))
def cost_figure(theme, embedding_cost) -> Figure:
    fig = Figure(figsize=(7.2, 3.4))
    time_ax, mem_ax = fig.subplots(1, 2)
    rows = embedding_cost["rows"]
    vocab = [r["vocab"] for r in rows]
    lookup_label = theme.text(ko="nn.Embedding 조회", en="nn.Embedding lookup")
    series = [
        ("lookup", lookup_label, theme.colors[0]),
        ("one_hot", "one_hot(idx) @ W", theme.colors[1]),
    ]
    for key, label, color in series:
        ms = [1000 * r[f"{key}_s"] for r in rows]
        mib = [r[f"{key}_bytes"] / 2**20 for r in rows]
        time_ax.plot(vocab, ms, "o-", color=color, label=label)
        mem_ax.plot(vocab, mib, "o-", color=color, label=label)
    vocabulary = theme.text(ko="어휘 크기", en="vocabulary size")
    time_ax.set(
        xscale="log",
        yscale="log",
        xlabel=vocabulary,
        ylabel=theme.text(ko="시간 (ms)", en="time (ms)"),
        title=theme.text(
            ko=f"인덱스 {embedding_cost['batch']}개, 차원 {embedding_cost['dim']}",
            en=f"{embedding_cost['batch']} indices, dim {embedding_cost['dim']}",
        ),
    )
    mem_ax.set(
        xscale="log",
        yscale="log",
        xlabel=vocabulary,
        ylabel=theme.text(ko="추가 메모리 (MiB)", en="extra memory (MiB)"),
        title=theme.text(
            ko="가중치 표 외에 추가로 드는 메모리",
            en="extra memory besides the weight table",
        ),
    )
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
    points = ax.scatter(
        coords[:, 0],
        coords[:, 1],
        c=profile,
        cmap=theme.cmap,
        s=60,
        zorder=3,
        edgecolors=theme.fg,  # the darkest colours stay visible on a dark page
        linewidths=0.6,
    )
    names = embedding_months["months"]
    for (x, y), name in zip(coords, names, strict=True):  # Jan..Dec, as the code prints
        ax.annotate(name, (x, y), xytext=(5, 4), textcoords="offset points")
    ax.set(
        xlabel="PC 1",
        ylabel="PC 2",
        title=theme.text(
            ko=f"월 임베딩, 시드 {run['seed']} (8차원의 PCA)",
            en=f"month embeddings, seed {run['seed']} (PCA of 8 dims)",
        ),
    )
    fig.colorbar(
        points,
        ax=ax,
        label=theme.text(ko="평균 계절 편차 (로그)", en="mean seasonal offset (log)"),
    )
    return fig


@output("embedding-one-hot", page="nlp/embedding")
def one_hot_versus_dense():
    # --8<-- [start:one-hot]
    vocab = ["<pad>", "the", "cat", "sat", "on", "mat"]
    idx = torch.tensor([1, 2, 3])  # "the cat sat"
    one_hot = F.one_hot(idx, num_classes=len(vocab)).float()
    print(one_hot)
    cosine = F.cosine_similarity(one_hot[0], one_hot[1], dim=0).item()
    print("cosine(the, cat) with one-hot:", cosine)

    torch.manual_seed(0)
    embedding = nn.Embedding(len(vocab), 4)  # a trainable (6, 4) table
    dense = embedding(idx)
    print("lookup shape:", tuple(dense.shape))
    error = (dense - one_hot_product(embedding, idx)).abs().max().item()
    print("max |lookup - one_hot @ W| =", error)
    # --8<-- [end:one-hot]


@output("embedding-padding", page="nlp/embedding")
def padding():
    # --8<-- [start:padding]
    torch.manual_seed(0)
    embedding = nn.Embedding(6, 3, padding_idx=0)
    print("row 0 at init:", embedding.weight[0].tolist())
    batch = torch.tensor([[1, 2, 0, 0], [3, 4, 5, 0]])  # sentences padded to length 4
    embedding(batch).sum().backward()
    print("gradient of row 0:", embedding.weight.grad[0].tolist())
    print("gradient of row 1:", embedding.weight.grad[1].tolist())
    # --8<-- [end:padding]


@output("embedding-pipeline", page="nlp/embedding")
def text_pipeline():
    # --8<-- [start:pipeline]
    sentences = ["the cat sat", "the dog sat on the mat", "a cat"]
    tokens = [s.split() for s in sentences]
    vocab = {"<pad>": 0}  # index 0 is the padding token
    for words in tokens:
        for word in words:
            vocab.setdefault(word, len(vocab))
    ids = [torch.tensor([vocab[w] for w in words]) for words in tokens]
    batch = nn.utils.rnn.pad_sequence(ids, batch_first=True)  # (3, 6), padded with 0
    print(batch)

    torch.manual_seed(0)
    embedding = nn.Embedding(len(vocab), 4, padding_idx=0)
    vectors = embedding(batch)  # (3, 6, 4); padding positions are zero vectors
    mask = (batch != 0).unsqueeze(-1).float()  # (3, 6) -> (3, 6, 1)
    counts = mask.sum(dim=1).clamp(min=1)  # (3, 1); an empty sentence would divide by 0
    masked_mean = (vectors * mask).sum(dim=1) / counts  # (3, 4)
    plain_mean = vectors.mean(dim=1)  # (3, 4): divides by 6 for every sentence
    print("words per sentence:", mask.sum(dim=1).squeeze(-1).tolist())
    print("plain / masked mean, per sentence:")
    print((plain_mean / masked_mean).detach().round(decimals=4))
    # --8<-- [end:pipeline]


@output("embedding-max-norm", page="nlp/embedding")
def max_norm():
    # --8<-- [start:max-norm]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)  # make every row longer than 1

    def norms(t):
        return " ".join(f"{n:.3f}" for n in t.norm(dim=1).tolist())

    print("row norms before:", norms(embedding.weight))
    out = embedding(torch.tensor([0, 2]))  # looks up rows 0 and 2 only
    print("row norms after: ", norms(embedding.weight))
    print("output norms:    ", norms(out))
    # --8<-- [end:max-norm]


@output("embedding-max-norm-shared", page="nlp/embedding", raises="RuntimeError")
def max_norm_shared():
    # --8<-- [start:max-norm-shared]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)
    W = torch.randn(3, 5, requires_grad=True)  # another trainable layer
    # the table used elsewhere: autograd saves it for W's gradient
    scores = embedding.weight @ W
    out = embedding(torch.tensor([0, 2]))  # renormalises rows 0 and 2 in place
    (scores.sum() + out.sum()).backward()
    # --8<-- [end:max-norm-shared]


@output("embedding-max-norm-clone", page="nlp/embedding")
def max_norm_clone():
    # --8<-- [start:max-norm-clone]
    torch.manual_seed(0)
    embedding = nn.Embedding(4, 3, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.mul_(3)
    W = torch.randn(3, 5, requires_grad=True)
    scores = embedding.weight.clone() @ W  # clone: the product keeps its own copy
    out = embedding(torch.tensor([0, 2]))
    (scores.sum() + out.sum()).backward()
    print("backward ran; gradient shape:", tuple(embedding.weight.grad.shape))
    # --8<-- [end:max-norm-clone]


@output("embedding-scale-grad", page="nlp/embedding")
def scale_grad():
    # --8<-- [start:scale-grad]
    batch = torch.tensor([1, 1, 1, 2])  # token 1 three times, token 2 once
    for scale in (False, True):
        torch.manual_seed(0)
        embedding = nn.Embedding(4, 2, scale_grad_by_freq=scale)
        embedding(batch).sum().backward()
        grad = embedding.weight.grad
        print(
            f"scale_grad_by_freq={scale!s:5}: grad row 1 = {grad[1].tolist()}, "
            f"row 2 = {grad[2].tolist()}"
        )
    # --8<-- [end:scale-grad]


@output("embedding-sparse", page="nlp/embedding")
def sparse():
    # --8<-- [start:sparse]
    torch.manual_seed(0)
    embedding = nn.Embedding(10_000, 16, sparse=True)
    embedding(torch.tensor([3, 7, 7])).sum().backward()
    grad = embedding.weight.grad
    print("layout:", grad.layout, " rows stored:", grad.coalesce().indices().tolist())
    stored = grad.coalesce().values().numel()
    print(
        f"a dense gradient would hold {embedding.weight.numel():,} numbers; "
        f"the sparse one holds {stored}"
    )

    # both accept sparse gradients
    for optimizer in (torch.optim.SparseAdam, torch.optim.SGD):
        before = embedding.weight[7].clone()
        optimizer(embedding.parameters(), lr=0.1).step()
        changed = not torch.equal(before, embedding.weight[7])
        print(f"{optimizer.__name__}: row 7 changed:", changed)
    refused = {
        "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
        "SGD with weight_decay": lambda p: torch.optim.SGD(
            p, lr=0.1, weight_decay=0.01
        ),
    }
    for name, make in refused.items():
        try:
            make(embedding.parameters()).step()
        except RuntimeError as err:
            print(f"{name}:", str(err).splitlines()[0])
    # --8<-- [end:sparse]


@output("embedding-pretrained", page="nlp/embedding")
def pretrained():
    # --8<-- [start:pretrained]
    # e.g. vectors trained elsewhere
    vectors = torch.tensor([[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]])
    original = vectors.clone()  # from_pretrained shares the tensor's memory
    frozen = nn.Embedding.from_pretrained(vectors, freeze=True)
    print("same memory as vectors:", frozen.weight.data_ptr() == vectors.data_ptr())
    print("requires_grad:", frozen.weight.requires_grad)
    head = nn.Linear(2, 1)
    model = nn.Sequential(frozen, head)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model(torch.tensor([1, 2])).sum().backward()
    optimizer.step()
    print("table unchanged after a step:", torch.equal(frozen.weight, original))
    # --8<-- [end:pretrained]


@output("embedding-bag", page="nlp/embedding")
def bag():
    # --8<-- [start:bag]
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(6, 3, mode="mean")
    tokens = torch.tensor([1, 2, 4, 5, 3])  # two bags back to back: [1, 2, 4], [5, 3]
    offsets = torch.tensor([0, 3])  # where each bag starts
    pooled = bag(tokens, offsets)
    by_hand = torch.stack([bag.weight[[1, 2, 4]].mean(0), bag.weight[[5, 3]].mean(0)])
    error = (pooled - by_hand).abs().max().item()
    print("bags:", tuple(pooled.shape), " max |bag - mean of lookups| =", error)
    # --8<-- [end:bag]


@output("embedding-out-of-range", page="nlp/embedding", raises="IndexError")
def out_of_range():
    # --8<-- [start:out-of-range]
    embedding = nn.Embedding(6, 4)
    lookup(embedding, torch.tensor([1, 6]))  # 6 is one past the last row
    # --8<-- [end:out-of-range]
