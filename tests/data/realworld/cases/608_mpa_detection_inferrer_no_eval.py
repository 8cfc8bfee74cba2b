# Copyright (C) 2022 Intel Corporation
# SPDX-License-Identifier: Apache-2.0
#
import torch
from mmcv.parallel import MMDataParallel
from mmcv.runner import load_checkpoint

from mmdet.datasets import build_dataloader, build_dataset, replace_ImageToTensor
from mmdet.models import build_detector
from mmdet.parallel import MMDataCPU
from mmdet.utils.deployment import get_feature_vector

from mpa.registry import STAGES
from .stage import DetectionStage


@STAGES.register_module()
class DetectionInferrer(DetectionStage):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def run(self, model_cfg, model_ckpt, data_cfg, **kwargs):
        """Run inference stage for detection"""
        mode = kwargs.get('mode', 'train')
        eval = kwargs.get('eval', False)
        dump_features = kwargs.get('dump_features', False)
        if mode not in self.mode:
            return {}
        cfg = self.configure(model_cfg, model_ckpt, data_cfg, training=False, **kwargs)
        outputs = self.infer(cfg, eval=eval, dump_features=dump_features)
        return dict(outputs=outputs)

    def infer(self, cfg, eval=False, dump_features=False):
        samples_per_gpu = cfg.data.test.pop('samples_per_gpu', 1)
        if samples_per_gpu > 1:
            cfg.data.test.pipeline = replace_ImageToTensor(cfg.data.test.pipeline)

        data_cfg = cfg.data.test.copy()
        self.dataset = build_dataset(data_cfg)
        dataset = self.dataset

        # Data loader
        data_loader = build_dataloader(
            dataset,
            samples_per_gpu=samples_per_gpu,
            workers_per_gpu=cfg.data.workers_per_gpu,
            dist=False,
            shuffle=False)

        # Model
        cfg.model.pretrained = None
        model = build_detector(cfg.model)
        model.CLASSES = dataset.CLASSES

        # Checkpoint
        if cfg.get('load_from', None):
            load_checkpoint(model, cfg.load_from, map_location='cpu')

        if torch.cuda.is_available():
            eval_model = MMDataParallel(model.cuda(cfg.gpu_ids[0]),
                                        device_ids=cfg.gpu_ids)
        else:
            eval_model = MMDataCPU(model)

        # InferenceProgressCallback (Time Monitor enable into Infer task)
        DetectionStage.set_inference_progress_callback(model, cfg)

        eval_predictions = []
        feature_vectors = []

        def dump_features_hook(mod, inp, out):
            with torch.no_grad():
                feature_vector = get_feature_vector(out)
            feature_vectors.append(feature_vector.view(-1).detach().cpu().numpy())

        def dummy_dump_features_hook(mod, inp, out):
            feature_vectors.append(None)

        feature_vector_hook = dump_features_hook if dump_features else dummy_dump_features_hook

        with eval_model.module.backbone.register_forward_hook(feature_vector_hook):
            for data in data_loader:
                with torch.no_grad():
                    result = eval_model(return_loss=False, rescale=True, **data)
                eval_predictions.extend(result)

        metric = None
        if eval:
            metric = dataset.evaluate(eval_predictions, **cfg.evaluation)[cfg.evaluation.metric]

        return dict(classes=dataset.CLASSES, detections=eval_predictions,
                    metric=metric, feature_vectors=feature_vectors)
