#!/usr/bin/python3
"""End-to-end test of the full volume (issue 15, "Done when"): tomolived --record --volume-at-end (CPU engine)
reconstructs a small simulated phantom scan (63 x 63 x 24 voxels) from its resident store, and the volume it writes
is judged:

  Q1  its central axial layer, XZ plane (y = 0) and YZ plane (x = 0) are each no worse than scikit-image's iradon
      (ramp filter, linear interpolation) on the same sinograms, as relative RMSE against the phantom's ground truth
      inside the object (targets.md); iradon reconstructs every detector row of the scan's recording (NXtomo, read
      with h5py), corrected as the engines do, and its volume is cut as ours;
  Q2  its central layer and planes equal the live XY, XZ and YZ slices the daemon serves (max relative difference
      <= 1e-3, the CUDA-vs-CPU bound; the CPU engine makes them bit for bit equal).

Helpers (the daemon driver, iradon of a detector row, the object mask and the RMSE) are e2e_quality's.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_quality_test import Daemon, fail, iradon_of_row, object_mask, relative_rmse  # noqa: E402

ROWS, COLS, PROJECTIONS = 24, 63, 96  # COLS odd: iradon's centre (cols // 2) is our (cols - 1) / 2
SCAN_ID = 3
Q1_MARGIN = 1.01  # as e2e_quality: no worse than iradon, up to rounding
Q2_MAX_RELATIVE = 1e-3
IMAGE_KEY = {"projection": 0, "flat": 1, "dark": 2}  # NXtomo's


def simulate(build, daemon, truth_dir):
    subprocess.run([
        os.path.join(build, "tools", "sim", "tomolive-sim"), "--connect", daemon.data, "--rows", str(ROWS),
        "--cols", str(COLS), "--projections", str(PROJECTIONS), "--scan-id", str(SCAN_ID), "--rate", "0",
        "--no-defects", "--write-truth", truth_dir, "--quiet"], check=True, timeout=300)


def planes_of(volume):
    """The volume's (z, y, x) central planes as the daemon's slices show them: each layer oriented as the axial slice
    (row 0 is +y, column 0 is -x), so XZ at y = 0 is row `centre` of every layer, and YZ at x = 0 is column `centre`
    with +y running to the right."""
    centre = (COLS - 1) // 2
    return {"xy": volume[ROWS // 2], "xz": volume[:, centre, :], "yz": volume[:, ::-1, centre]}


def iradon_volume(recording):
    """iradon of every detector row of the recorded scan: (rows, cols, cols)."""
    with h5py.File(recording, "r") as f:
        data = f["/entry/instrument/detector/data"][()]
        keys = f["/entry/instrument/detector/image_key"][()]
        angles = f["/entry/sample/transformations/rotation_angle"][()]
    darks, flats, projections = (data[keys == IMAGE_KEY[kind]] for kind in ("dark", "flat", "projection"))
    if len(projections) != PROJECTIONS:
        fail("the recording holds %d projections, %d were sent" % (len(projections), PROJECTIONS))
    angles = angles[keys == IMAGE_KEY["projection"]]
    return np.stack([iradon_of_row(darks[:, r], flats[:, r], projections[:, r], angles) for r in range(ROWS)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tomolive-e2e-volume-") as workdir:
        record_dir, volume_dir = os.path.join(workdir, "records"), os.path.join(workdir, "volumes")
        os.mkdir(record_dir)
        os.mkdir(volume_dir)
        daemon = Daemon(args.build, workdir, ("--record", record_dir, "--volume-at-end", "--volume-dir", volume_dir,
                                              "--volume-format", "hdf5"))
        try:
            check(args, workdir, daemon, record_dir, volume_dir)
        finally:
            if daemon.process.poll() is None:
                daemon.process.kill()


def check(args, workdir, daemon, record_dir, volume_dir):
    truth_dir = os.path.join(workdir, "truth")
    simulate(args.build, daemon, truth_dir)
    daemon.wait_event("volume_finished", SCAN_ID)
    with h5py.File(os.path.join(volume_dir, "scan_%06d_tomolive-sim.h5" % SCAN_ID), "r") as f:
        volume = f["/volume"][()]
    if volume.shape != (ROWS, COLS, COLS) or volume.dtype != np.float32:
        fail("the volume is %s %s, expected float32 %r" % (volume.dtype, volume.shape, (ROWS, COLS, COLS)))
    ours = planes_of(volume)

    # Q2: the volume's planes are the live slices.
    for kind, plane in ours.items():
        header, live = daemon.get_slice(kind)
        if header["scan_id"] != SCAN_ID or header["projections_included"] != PROJECTIONS:
            fail("the live %s slice is not the complete scan: %r" % (kind, header))
        difference = float(np.abs(plane - live).max() / np.abs(live).max())
        print("Q2 volume vs live %s slice: max relative difference %.2e" % (kind, difference))
        if difference > Q2_MAX_RELATIVE:
            fail("Q2: the volume's %s plane differs from the live slice by %.2e" % (kind, difference))
    code = daemon.shut_down()  # the recording is complete once the daemon has stopped
    if code != 0:
        fail("tomolived exited with %d after SIGINT" % code)

    # Q1: the volume against the phantom, as iradon does on the same sinograms.
    reference = planes_of(iradon_volume(os.path.join(record_dir, "scan_%06d_tomolive-sim.nxs" % SCAN_ID)))
    for kind in ("xy", "xz", "yz"):
        truth = np.load(os.path.join(truth_dir, kind + ".npy"))
        mask = object_mask(truth)
        if kind != "xy":
            mask[[0, -1], :] = False  # the first and last rows lie on the phantom's rounded top and bottom
        rmse, iradon_rmse = relative_rmse(ours[kind], truth, mask), relative_rmse(reference[kind], truth, mask)
        agreement = float(np.corrcoef(ours[kind][mask], reference[kind][mask])[0, 1])
        print("Q1 volume %s plane: relative RMSE %.5f, iradon %.5f (correlation %.5f)"
              % (kind, rmse, iradon_rmse, agreement))
        if agreement < 0.99:
            fail("the volume's %s plane and iradon's disagree (orientation or scale): correlation %.4f"
                 % (kind, agreement))
        if rmse > iradon_rmse * Q1_MARGIN:
            fail("Q1: the volume's %s plane has RMSE %.4f, iradon's %.4f" % (kind, rmse, iradon_rmse))
    print("e2e volume: Q1 and Q2 hold for the volume of a %d x %d x %d phantom scan" % (COLS, COLS, ROWS))


if __name__ == "__main__":
    main()
