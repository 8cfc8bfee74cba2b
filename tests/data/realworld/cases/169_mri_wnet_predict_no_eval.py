import glob
import logging
import os
import pickle
from types import SimpleNamespace

import h5py
import numpy as np
import torch
import yaml

from Networks.generator_model import WNet


def get_args():
    with open("config.yaml") as f:
        data = yaml.load(f, Loader=yaml.FullLoader)
    args = SimpleNamespace(**data)
    args.masked_kspace = True
    args.mask_path = "./Masks/mask_{}_{}.pickle".format(args.sampling_percentage, args.img_size)
    return args


def slice_preprocess(kspace_cplx, slice_num, masks, args):
    kspace = np.stack([np.real(kspace_cplx), np.imag(kspace_cplx)]).astype(np.float32)
    return kspace * masks[:, :, slice_num]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = get_args()
    if args.device == "cuda":
        os.environ["CUDA_VISIBLE_DEVICES"] = args.gpu_id

    # Load network
    logging.info("Loading model {}".format(args.model))
    net = WNet(args, masked_kspace=args.masked_kspace)
    net.to(device=args.device)
    checkpoint = torch.load(args.model, map_location=args.device)
    net.load_state_dict(checkpoint["G_model_state_dict"])
    logging.info("Model loaded !")

    with open(args.mask_path, "rb") as pickle_file:
        masks_dictionary = pickle.load(pickle_file)
    masks = np.dstack((masks_dictionary["mask0"], masks_dictionary["mask1"], masks_dictionary["mask2"]))

    test_files = glob.glob(os.path.join(args.predict_data_dir, "*.hdf5"))
    for i, infile in enumerate(test_files):
        with h5py.File(infile, "r") as f:
            fully_sampled_img = f["data"][:]
        rec_imgs = np.zeros(fully_sampled_img.shape)
        for slice_num in range(fully_sampled_img.shape[2]):
            kspace_cplx = np.fft.fftshift(np.fft.fft2(fully_sampled_img[:, :, slice_num]))
            masked_Kspace = torch.from_numpy(slice_preprocess(kspace_cplx, slice_num, masks, args))
            masked_Kspace = masked_Kspace.unsqueeze(0).to(device=args.device, dtype=torch.float32)
            with torch.no_grad():
                rec_img, rec_Kspace, F_rec_Kspace = net(masked_Kspace)
            rec_imgs[:, :, slice_num] = rec_img.squeeze().cpu().numpy()
        np.save(infile.replace(".hdf5", "_rec.npy"), rec_imgs)
