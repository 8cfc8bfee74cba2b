"""What bn-lint knows about library model builders (torchvision, timm): which build models with
BatchNorm, which without, which wrap the model they are given, which parts of a model hold it."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


# Factories whose models carry BatchNorm unless the name says otherwise (data, not ifs).
BN_FACTORY_PREFIXES = (
    "torchvision.models.", "timm.create_model", "timm.models.", "pretrainedmodels.",
    "pytorch_fid.inception.InceptionV3", "pytorch_fid.inception.fid_inception_v3",  # FID's feature extractor
    "efficientnet_pytorch.EfficientNet", "facenet_pytorch.InceptionResnetV1",
    *(f"segmentation_models_pytorch.{arch}" for arch in (
        "Unet", "FPN", "PSPNet", "DeepLabV3", "Linknet", "PAN", "MAnet", "UPerNet", "create_model")),
    # OpenMMLab's builders: ResNet-style backbones with BatchNorm (SyncBN in segmentors)
    "mmdet.models.build_detector", "mmseg.models.build_segmentor", "mmcls.models.build_classifier",
    "mmaction.models.build_recognizer", "mmaction.models.build_model", "mmpose.models.build_posenet",
    # torch_em's UNETR: a ViT encoder, and a decoder of Conv2d + BatchNorm2d blocks (micro-sam trains it)
    "torch_em.model.UNETR", "torch_em.model.unetr.UNETR",
)
# well-known architectures with BatchNorm, by the name of a class or builder imported from a module the
# project does not have (`from metric.inception import InceptionV3`: a copy of pytorch-fid's; `from
# pytorch_i3d import InceptionI3d`); a class the project defines is read instead
BN_ARCHITECTURE_NAMES = re.compile(
    r"^(?:Inception(?:V3|I3d|3d|_v3)?|inception_v3|InceptionI3d|I3D|I3d|(?:PreAct|Wide|SE)?Res[Nn]e[Xx]?t\d*|"
    r"(?:preact_|wide_|se_)?res(?:net|next)\d+\w*|DenseNet\d*|densenet\d+|MobileNet_?[Vv]?[123]?|mobilenet_v[123]\w*|"
    r"EfficientNet(?:_?[Bb]\d)?|efficientnet_b\d|VGG\d*_?[Bb][Nn]|vgg\d+_bn|Xception|xception\d*|"
    r"(?:CSP)?Dark[Nn]et\d*|HRNet\w*|hrnet_w\d+)$"
)
LIBRARY_MODULES_WITHOUT_BN = re.compile(
    r"^torchvision\.models\.(alexnet|vgg\d+|vit_\w+|swin_\w+|squeezenet\w*|maxvit_t_no_bn)$"
    # parts of a detector that hold no layer with statistics (anchors, box coding, transforms, poolers)
    r"|^torchvision\.models\.detection\.(anchor_utils\.)?(AnchorGenerator|DefaultBoxGenerator)$"
    r"|^torchvision\.models\.detection\.(transform\.)?GeneralizedRCNNTransform$"
    r"|^torchvision\.ops\.(MultiScaleRoIAlign|RoIAlign|RoIPool|FeaturePyramidNetwork)$"
    # a weights enum and what its members give (`ResNet50_Weights.DEFAULT.transforms()`: resize and normalise)
    r"|^torchvision\.models\.(\w+\.)*\w+_Weights\b"
    # image transforms, some of them modules (`transforms.Normalize(mean, std)`): no layer with statistics
    r"|^torchvision\.transforms\.(v2\.)?[A-Z]\w*$"
    # PyG's basic GNNs: `norm=None` by default (a finding only where a `norm=` is given: library_part... below)
    r"|^torch_geometric\.nn\.(models\.)?(GCN|GraphSAGE|GIN|GAT|PNA|EdgeCNN)$"
    # GPyTorch's kernels, means, likelihoods and objectives: modules of hyperparameters, no layer with statistics
    r"|^gpytorch\.(kernels|means|likelihoods|mlls|distributions|variational|constraints|priors)\.\w+$"
)
# torch.nn's loss modules (`nn.CrossEntropyLoss()`, `nn.modules.loss.MSELoss()`): callables without statistics
TORCH_LOSS = re.compile(r"^torch\.nn\.(modules\.loss\.)?\w+Loss$")
# a loss class by its name, torch's or a project's (`FocalLoss`, `utils.DiceLoss`)
LOSS_CLASS = re.compile(r"(?:^|\.)[A-Z]\w*Loss$")
# PyG's MLP normalises with BatchNorm by default (`norm="batch_norm"`, PyG >= 2.1)
PYG_MLP = re.compile(r"^torch_geometric\.nn\.(models\.)?MLP$")


def pyg_mlp_batchnorm(call: cst.Call) -> bool | None:
    """Whether ``MLP(...)`` of PyG holds BatchNorm: True by default or with ``norm="batch_norm"``, False with
    ``norm=None``, another norm's name or ``batch_norm=False``; None when the norm is a value not shown here."""
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "norm":
            if isinstance(arg.value, cst.Name) and arg.value.value == "None":
                return False
            if isinstance(arg.value, cst.SimpleString):
                return arg.value.evaluated_value in ("batch_norm", "batchnorm", "BatchNorm")
            return None
        if name == "batch_norm" and isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False"):
            return arg.value.value == "True"
        if arg.star == "**":
            return None
    return True
# timm architectures without BatchNorm (LayerNorm, GroupNorm or normalizer-free), by model name; the
# name may carry a pretrained tag (`vit_small_patch16_224.augreg_in21k`) or a hub prefix (`hf_hub:timm/`)
_NO_BN_TIMM = re.compile(
    r"^(?:hf[_-]hub:timm/)?(vit|deit3?|swinv?2?|beit(v2)?|eva(02)?|convnext(v2)?|cait|mixer|resmlp|gmlp|"
    r"poolformer(v2)?|nf|dm_nfnet|nfnet|eca_nfnet|twins_(pcpvt|svt)|crossvit)_\w"
)
# parts of torchvision classification models that hold no BatchNorm (the stem conv of a ResNet, the head)
_TORCHVISION_PARTS_WITHOUT_BN = (
    (re.compile(r"^(resnet\d+|resnext\w+|wide_resnet\w+)$"), frozenset({"conv1", "fc"})),
    (re.compile(r"^(regnet_\w+|shufflenet_\w+|googlenet|inception_v3)$"), frozenset({"fc"})),
    (re.compile(r"^(densenet\d+|mobilenet_v[23]\w*|efficientnet_\w+|mnasnet\w+|vgg\d+_bn)$"), frozenset({"classifier"})),
)
# torchvision's detection models (but the v2 ones and SSDlite) use FrozenBatchNorm2d in a pretrained
# backbone, which they have by default (`weights_backbone=ResNet50_Weights.IMAGENET1K_V1`)
FROZEN_BN_DETECTION = re.compile(r"^torchvision\.models\.detection\.(?!ssdlite)(?!.*_v2$)[\w.]+$")
# torchvision helpers that return (part of) the model they are given
TORCHVISION_WRAPPING = frozenset({
    "torchvision.models._utils.IntermediateLayerGetter", "torchvision.models.feature_extraction.create_feature_extractor",
})
# torchvision's detection models built around the backbone they are given first (`FasterRCNN(backbone, ...)`)
DETECTORS = frozenset(f"torchvision.models.detection.{name}" for name in (
    "FasterRCNN", "MaskRCNN", "KeypointRCNN", "RetinaNet", "FCOS", "faster_rcnn.FasterRCNN", "mask_rcnn.MaskRCNN",
    "keypoint_rcnn.KeypointRCNN", "retinanet.RetinaNet", "fcos.FCOS"))
# methods of library models that run (most of) their forward, BatchNorm included: timm's
# forward_features / forward_intermediates, efficientnet_pytorch's and pytorch-i3d's extract_features
LIBRARY_FORWARDS = frozenset({"forward_features", "forward_intermediates", "extract_features", "extract_endpoints"})
# parts of torchvision / timm classification models that hold their BatchNorm layers
LIBRARY_BN_PARTS = frozenset({"features", "layer1", "layer2", "layer3", "layer4", "blocks", "stages", "trunk_output"})
MODEL_ZOOS = ("torchvision.models", "timm.models", "segmentation_models_pytorch")  # modules of model builders, most with BatchNorm
# a framework's alternative constructors, called on a module class (or an instance of it), that build that class and
# load weights into it without a mode switch: the module starts in training mode. Per method, the bases a class must
# derive from for it (none: any module class). Lightning's docs call `.eval()` after `MyModel.load_from_checkpoint(path)`;
# huggingface_hub's `PyTorchModelHubMixin.from_pretrained` loads safetensors, the format its `save_pretrained` writes,
# without `.eval()` (its pickle path calls it; transformers' `from_pretrained`, of other bases, does too)
TRAIN_MODE_CONSTRUCTORS: dict[str, tuple[str, ...]] = {
    "load_from_checkpoint": (),
    "from_pretrained": ("huggingface_hub.PyTorchModelHubMixin", "huggingface_hub.ModelHubMixin",
                        "huggingface_hub.hub_mixin.PyTorchModelHubMixin", "huggingface_hub.hub_mixin.ModelHubMixin"),
}
UNKNOWN_MODEL_SOURCES = frozenset({"torch.load", "torch.jit.load", "torch.hub.load", "copy.deepcopy"})
# functions that give the class (or function) a dotted path names: `get_class("pkg.models.Net")`
CLASS_LOCATORS = frozenset({
    "hydra.utils.get_class", "hydra.utils.get_method", "hydra.utils.get_object", "pydoc.locate",
    "mmengine.utils.get_object_from_string",
})
# functions that build the object a configuration names (`_target_`): a class the code does not show
CLASS_INSTANTIATORS = frozenset({"hydra.utils.instantiate", "hydra.utils.call"})


def library_part_without_bn(model: "FileModel", built: cst.BaseExpression, attribute: str) -> bool:
    """Whether ``attribute`` of the torchvision model ``built`` (``resnet50(...)``) holds no BatchNorm
    (``model.conv1``, ``model.fc``)."""
    qn = model.qualname(built.func) if isinstance(built, cst.Call) else None
    if not qn or not qn.startswith("torchvision.models.") or qn.count(".") != 2:
        return False
    arch = qn.rpartition(".")[2]
    return any(pattern.match(arch) and attribute in parts for pattern, parts in _TORCHVISION_PARTS_WITHOUT_BN)


def timm_without_bn(model: "FileModel", qn: str, call: cst.Call, scope: "Scope | None") -> bool:
    """``timm.create_model("vit_small_patch16_224")`` (the name a literal or a constant) or
    ``timm.models.vit_small_patch16_224()``: an architecture with no BatchNorm."""
    if qn == "timm.create_model":
        arg = next((a.value for a in call.args if (a.keyword is None and not a.star)
                    or (a.keyword is not None and a.keyword.value == "model_name")), None)
        name = evaluate(arg, model, scope) if arg is not None else None
    elif qn.startswith("timm.models."):
        name = qn.rpartition(".")[2]
    else:
        return False
    return isinstance(name, str) and _NO_BN_TIMM.match(name) is not None


def fitted_by_trainer(call: cst.Call) -> cst.BaseExpression | None:
    """The model a library trainer trains, in training mode: Lightning's ``trainer.fit(model, ...)`` (it
    calls ``model.train()`` before its training steps)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "fit" and call.args and call.args[0].keyword is None
            and not call.args[0].star):
        return None
    receiver = func.value
    while isinstance(receiver, cst.Attribute):
        if "trainer" in receiver.attr.value.lower():
            return call.args[0].value
        receiver = receiver.value
    return call.args[0].value if isinstance(receiver, cst.Name) and "trainer" in receiver.value.lower() else None


# configuration node classes of attribute-tree configs (`def build(cfg: CfgNode)`: `cfg.MODEL.DIM` reads the tree the
# project's defaults module fills, `_C = CN(); _C.MODEL = CN(); _C.MODEL.DIM = 512`)
CONFIG_NODE_CLASSES = frozenset({
    "yacs.config.CfgNode", "fvcore.common.config.CfgNode", "detectron2.config.CfgNode",
    "detectron2.config.config.CfgNode",
})
