"""BN303 sync-batchnorm-order."""
from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis

_SCRIPT = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
{convert}
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loader = DataLoader(dataset, batch_size=64, shuffle=True)
for x, y in loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
"""


class SyncBatchNormOrder(Rule):
    code = "BN303"
    name = "sync-batchnorm-order"
    severity = Severity.ERROR
    summary = "`convert_sync_batchnorm` after the DDP wrap, or SyncBatchNorm in a script with no process group."
    what = """
        Flags `nn.SyncBatchNorm.convert_sync_batchnorm(model)` run after the same model was wrapped in
        `DistributedDataParallel` in the same function. Also flags a training script that uses
        SyncBatchNorm (converted or built directly) while nothing in it, or in the project files it
        imports, initializes a process group or launches distributed training (no
        `init_process_group`, no `DistributedDataParallel`, no launcher).
    """
    why = """
        DDP registers the model's parameters and buffers when it is built; converting afterwards
        swaps BatchNorm layers for new SyncBatchNorm modules behind DDP's back (their buffers are not
        the ones DDP broadcasts), and converting the wrapper itself reaches the layers through
        `.module` only by accident. SyncBatchNorm without a process group synchronises nothing: it
        runs as plain per-process BatchNorm (per replica under `nn.DataParallel`), and older PyTorch
        versions raise instead.
    """
    example = """
        model = DDP(model, device_ids=[rank])
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    """
    fix_docs = """
        Convert first, then wrap: `model = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model), ...)`.
        Without distributed training, use plain BatchNorm.
    """
    use_instead = """
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # first convert,
        model = DDP(model, device_ids=[rank])                   # then wrap
    """
    references = (
        ('`torch.nn.SyncBatchNorm` and `convert_sync_batchnorm` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.SyncBatchNorm.html'),
        ('`DistributedDataParallel` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html'),
    )
    triggers = ("convert_sync_batchnorm", "SyncBatchNorm")
    invalid = (
        Invalid(
            """
            import torch.distributed as dist
            import torch.nn as nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def setup(model, rank):
                dist.init_process_group("nccl")
                model = DDP(model.to(rank), device_ids=[rank])
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
                return model
            """,
            line=8,
        ),
        Invalid(_SCRIPT.format(convert="model = nn.SyncBatchNorm.convert_sync_batchnorm(model)"), line=6),
        Invalid(  # a SyncBatchNorm layer in a single-process script whose loaders come from a builder
            """
            import torch
            import torch.nn as nn

            def make_loaders():
                return get_train(), get_val()

            net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.SyncBatchNorm(8), nn.Flatten(), nn.LazyLinear(2))
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            train_dl, val_dl = make_loaders()
            for x, y in train_dl:
                nn.functional.cross_entropy(net(x), y).backward()
                opt.step()
            """,
            line=7,
        ),
        Invalid(  # a comment that names DDP is no process group
            "# trimmed down from our cluster DDP script for one workstation GPU\n"
            + _SCRIPT.format(convert="model = nn.SyncBatchNorm.convert_sync_batchnorm(model)"),
            line=8,
        ),
        Invalid(  # one process and nn.DataParallel: nothing to synchronise with
            _SCRIPT.format(convert="model = nn.SyncBatchNorm.convert_sync_batchnorm(model)\n"
                                   "model = nn.DataParallel(model).cuda()"),
            line=6,
        ),
        Invalid(  # the ImageNet example: both branches wrap the model in DDP before the conversion
            """
            import torch
            import torch.nn as nn
            import torchvision.models as models


            def main_worker(gpu, args):
                model = models.resnet50()
                if args.gpu is not None:
                    torch.cuda.set_device(args.gpu)
                    model.cuda(args.gpu)
                    model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu])
                else:
                    model.cuda()
                    model = torch.nn.parallel.DistributedDataParallel(model)
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
                return model
            """,
            line=15,
        ),
    )
    valid = (
        Valid(
            """
            import torch.distributed as dist
            import torch.nn as nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def setup(model, rank):
                dist.init_process_group("nccl")
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
                return DDP(model.to(rank), device_ids=[rank])
            """
        ),
        Valid(_SCRIPT.format(convert="")),
        Valid(
            """
            import torch.nn as nn

            def convert(model):
                return nn.SyncBatchNorm.convert_sync_batchnorm(model)
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        batches = model.analysis(BatchAnalysis)
        flagged: set[int] = set()
        for convert, scope in batches.sync_calls:
            target = _base_name(convert.args[0].value) if convert.args else None
            if target is None:
                continue
            wraps = [ddp for ddp, ddp_scope in batches.ddp_calls if ddp_scope is scope and _same_model(model, ddp, target)]
            for ddp in wraps:
                if not (_runs_before(model, ddp, convert) or _wrapped_on_every_branch(model, convert, wraps)):
                    continue
                flagged.add(id(convert))
                yield Report(
                    convert,
                    f"`{target}` is converted to SyncBatchNorm after it was wrapped in DistributedDataParallel "
                    "(line above); convert first, then wrap: `DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model), ...)`",
                )
                break
        if not (any(loader.bn_training for loader in batches.loaders) or batches.trains_batchnorm()) \
                or batches.distributed_anywhere():
            return
        nodes: list[cst.CSTNode] = [c for c, _ in batches.sync_calls if id(c) not in flagged]
        nodes += [layer.node for layer in model.layer_calls if layer.spec.name == "SyncBatchNorm"]
        for node in nodes[:1]:
            yield Report(
                node,
                "SyncBatchNorm in a training script that never initializes a process group (no "
                "`init_process_group` / DistributedDataParallel here or in the project files it imports): it "
                "synchronises nothing and runs as plain per-process BatchNorm (older PyTorch raises); use "
                "nn.BatchNorm, or set up DDP before converting",
            )


def _base_name(expr: cst.BaseExpression) -> str | None:
    while isinstance(expr, cst.Attribute) and expr.attr.value == "module":
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _same_model(model: FileModel, ddp: cst.Call, name: str) -> bool:
    """``DDP(name, ...)`` / ``DDP(name.to(...))`` or ``name = DDP(...)``."""
    if ddp.args:
        first = ddp.args[0].value
        while isinstance(first, cst.Call) and isinstance(first.func, cst.Attribute):
            first = first.func.value
        if isinstance(first, cst.Name) and first.value == name:
            return True
    parent = model.parent(ddp)
    return isinstance(parent, cst.Assign) and any(
        isinstance(t.target, cst.Name) and t.target.value == name for t in parent.targets
    )


def _runs_before(model: FileModel, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """``first``'s statement precedes, in the same block, a statement that contains ``second``."""
    statement = _statement(model, first)
    if statement is None:
        return False
    block = model.parent(statement)
    body = getattr(block, "body", None)
    if not isinstance(body, (list, tuple)) or statement not in body:
        return False
    index = list(body).index(statement)
    for ancestor in [second, *model.ancestors(second)]:
        if ancestor is block:
            return False
        if model.parent(ancestor) is block:
            return list(body).index(ancestor) > index
    return False


def _wrapped_on_every_branch(model: FileModel, convert: cst.CSTNode, wraps: list[cst.Call]) -> bool:
    """An ``if``/``else`` before the conversion (in its block or one around it) that wraps the model in
    DDP on every branch (the ImageNet example's ``if args.gpu is not None: ... DDP(model, device_ids=...)
    else: ... DDP(model)``)."""
    statements = {id(_statement(model, ddp)) for ddp in wraps}

    def always(statement: cst.CSTNode) -> bool:
        if id(statement) in statements:
            return True
        if isinstance(statement, cst.If):
            orelse = statement.orelse
            if orelse is None or not block_always(statement.body):
                return False
            return always(orelse) if isinstance(orelse, cst.If) else block_always(orelse.body)
        if isinstance(statement, cst.With):
            return block_always(statement.body)
        return False

    def block_always(block: cst.BaseSuite) -> bool:
        return isinstance(block, cst.IndentedBlock) and any(always(s) for s in block.body)

    node: cst.CSTNode | None = _statement(model, convert)
    while node is not None and not isinstance(node, cst.FunctionDef):
        body = getattr(model.parent(node), "body", None)
        if isinstance(body, (list, tuple)) and node in body and any(always(s) for s in body[:list(body).index(node)]):
            return True
        node = _statement(model, node)
    return False


def _statement(model: FileModel, node: cst.CSTNode) -> cst.CSTNode | None:
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return ancestor
    return None
