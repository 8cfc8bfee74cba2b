from logging import getLogger

import lightning.pytorch as pl
import torch
from torch import Size, Tensor, nn

logger = getLogger(__name__)


class ConvModule(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=False, activation=None):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias),
            nn.BatchNorm2d(out_channels),
            activation or nn.ReLU(),
        )


class BaseNode(nn.Module):
    REGISTRY = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BaseNode.REGISTRY[cls.__name__] = cls

    def __init__(self, input_shapes=None, original_in_shape=None, **kwargs):
        super().__init__()
        self.input_shapes = input_shapes
        self.original_in_shape = original_in_shape
        self._export = False

    @property
    def export(self) -> bool:
        return self._export

    def set_export_mode(self, mode: bool = True) -> None:
        self._export = mode

    def run(self, inputs):
        return {"features": [self(inputs[0]["features"][0])]}


class EfficientRep(BaseNode):
    def __init__(self, channels=(32, 64, 128), **kwargs):
        super().__init__(**kwargs)
        layers = []
        in_channels = 3
        for out_channels in channels:
            layers.append(ConvModule(in_channels, out_channels, kernel_size=3, stride=2, padding=1))
            in_channels = out_channels
        self.blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.blocks(x)


class SegmentationHead(BaseNode):
    def __init__(self, in_channels=128, n_classes=2, **kwargs):
        super().__init__(**kwargs)
        self.head = nn.Conv2d(in_channels, n_classes, kernel_size=1)

    def forward(self, x):
        return self.head(x)


class LuxonisOutput:
    def __init__(self, outputs):
        self.outputs = outputs


class LuxonisModel(pl.LightningModule):
    def __init__(self, cfg, save_dir: str, input_shape: dict[str, Size], **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.save_dir = save_dir
        self.loader_input_shapes = {}
        self.graph = {}
        nodes = {}
        for node_cfg in self.cfg.model.nodes:
            Node = BaseNode.REGISTRY.get(node_cfg.name)
            node_name = node_cfg.alias or node_cfg.name
            nodes[node_name] = Node(**node_cfg.params)
            if not node_cfg.inputs:
                self.loader_input_shapes[node_name] = {k: Size(v) for k, v in input_shape.items()}
            self.graph[node_name] = node_cfg.inputs
        self.nodes = nn.ModuleDict(nodes)
        self.load_checkpoint(self.cfg.model.weights)

    def load_checkpoint(self, path):
        if path is None:
            return
        checkpoint = torch.load(path, map_location=self.device)
        self.load_state_dict(checkpoint["state_dict"], strict=False)

    def forward(self, inputs, labels=None, images=None, *, compute_loss=True, compute_metrics=False,
                compute_visualizations=False):
        computed = {}
        outputs = {}
        for node_name, node in self.nodes.items():
            input_names = self.graph[node_name]
            if input_names:
                node_inputs = [computed[name] for name in input_names]
            else:
                node_inputs = [{"features": list(inputs.values())}]
            computed[node_name] = node.run(node_inputs)
            outputs[node_name] = computed[node_name]
        return LuxonisOutput(outputs)

    def export_onnx(self, save_path: str, **kwargs) -> list[str]:
        inputs = {
            input_name: torch.zeros([1, *shape]).to(self.device)
            for shapes in self.loader_input_shapes.values()
            for input_name, shape in shapes.items()
        }

        inputs_deep_clone = {k: torch.zeros(elem.shape).to(self.device) for k, elem in inputs.items()}

        inputs_for_onnx = {"inputs": inputs_deep_clone}

        for module in self.modules():
            if isinstance(module, BaseNode):
                module.set_export_mode()

        outputs = self.forward(inputs_deep_clone).outputs
        output_order = sorted(
            [
                (node_name, output_name, i)
                for node_name, outs in outputs.items()
                for output_name, out in outs.items()
                for i in range(len(out))
            ]
        )

        output_names = self.cfg.exporter.output_names or [
            f"{node_name}/{output_name}/{i}" for node_name, output_name, i in output_order
        ]

        old_forward = self.forward

        def export_forward(inputs) -> tuple[Tensor, ...]:
            outputs = old_forward(
                inputs,
                None,
                compute_loss=False,
                compute_metrics=False,
                compute_visualizations=False,
            ).outputs
            return tuple(outputs[node_name][output_name][i] for node_name, output_name, i in output_order)

        self.forward = export_forward

        if "input_names" not in kwargs:
            kwargs["input_names"] = list(inputs.keys())
        if "output_names" not in kwargs:
            kwargs["output_names"] = output_names

        self.to_onnx(save_path, inputs_for_onnx, **kwargs)

        self.forward = old_forward

        for module in self.modules():
            if isinstance(module, BaseNode):
                module.set_export_mode(False)

        logger.info(f"Model exported to {save_path}")
        return output_names


class Exporter:
    def __init__(self, cfg, input_shape, run_save_dir="output"):
        self.cfg = cfg
        self.input_shape = input_shape
        self.export_path = str(cfg.exporter.export_save_directory) + "/" + cfg.exporter.export_model_name
        self.lightning_module = LuxonisModel(
            cfg=self.cfg,
            save_dir=run_save_dir,
            input_shape={"image": input_shape},
        )

    def export(self, onnx_path: str | None = None):
        onnx_path = onnx_path or self.export_path + ".onnx"
        self.output_names = self.lightning_module.export_onnx(onnx_path, opset_version=12)
        return onnx_path
