"""fftconv.nn through the Python API: PyTorch's known answers, torch.nn.functional itself where
python3-torch is installed, dtypes, and refusals as ValueError."""

import numpy as np
import pytest

from fftconv import nn

METHODS = ["auto", "direct", "fft"]


@pytest.mark.parametrize("method", METHODS)
def test_known_answers(method):
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    np.testing.assert_allclose(nn.conv2d(x, np.ones((1, 1, 3, 3)), stride=2, method=method),
                               [[[[54, 72], [144, 162]]]], rtol=1e-12)
    x2 = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], float)
    k2 = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], float)
    np.testing.assert_allclose(nn.conv2d(x2[None, None], k2[None, None], method=method)[0, 0],
                               [[12, 12, 17], [10, 17, 19], [9, 6, 14]], rtol=1e-12)
    np.testing.assert_allclose(nn.conv1d(np.array([[[1.0, 2, 3, 4]]]), np.ones((1, 1, 4)), padding="same",
                                         method=method)[0, 0], [6, 10, 9, 7], rtol=1e-12)
    t = nn.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2, method=method)[0, 0]
    np.testing.assert_allclose(t, [[1, 1, 2, 1, 1], [1, 1, 2, 1, 1], [2, 2, 4, 2, 2], [1, 1, 2, 1, 1],
                                   [1, 1, 2, 1, 1]], rtol=1e-12)
    assert nn.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2, output_padding=1,
                               method=method).shape == (1, 1, 6, 6)


def test_pools_and_sizes():
    x = np.arange(1.0, 10).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(nn.avg_pool2d(x, 3, 2, 1)[0, 0], [[12 / 9, 16 / 9], [24 / 9, 28 / 9]])
    np.testing.assert_allclose(nn.avg_pool2d(x, 3, 2, 1, count_include_pad=False)[0, 0], [[3, 4], [6, 7]])
    assert nn.max_pool1d(np.zeros((1, 1, 5)), 2, 2, 1, ceil_mode=True).shape == (1, 1, 3)
    assert nn.conv_output_size(5, 3, 2, 1) == 3
    assert nn.conv_transpose_output_size(3, 3, 2, 1) == 5
    assert nn.pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3


def test_dtypes_and_unbatched():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    y = nn.conv2d(x, w, padding=1)
    assert y.dtype == np.float32 and y.shape == (4, 9, 8)
    assert nn.conv2d(x.astype(np.float64), w).dtype == np.float64
    assert nn.conv2d(x.astype(np.int32), w.astype(np.int64)).dtype == np.float64
    # a view with negative strides reads where it lies
    np.testing.assert_allclose(nn.conv2d(x[:, ::-1], w), nn.conv2d(np.ascontiguousarray(x[:, ::-1]), w), rtol=1e-6)


def test_refusals_name_the_values():
    x, w = np.zeros((1, 4, 5, 5)), np.zeros((6, 2, 3, 3))
    with pytest.raises(ValueError, match="groups=4 must divide the weight's 6"):
        nn.conv2d(x, w, groups=4)
    with pytest.raises(ValueError, match="padding 'same' needs stride 1"):
        nn.conv2d(x, w, stride=2, padding="same", groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.conv2d(x, w, groups=2, padding_mode="mirror")
    with pytest.raises(ValueError, match="must be at most half the kernel"):
        nn.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="conv1d: the weight"):
        nn.conv1d(x, w)


torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_against_torch(method, padding_mode):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 6, 13, 11))
    w = rng.standard_normal((4, 3, 3, 4))
    b = rng.standard_normal(4)
    got = nn.conv2d(x, w, b, stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2, padding_mode=padding_mode,
                    method=method)
    tx = torch.from_numpy(x)
    if padding_mode != "zeros":
        tx = F.pad(tx, (1, 1, 2, 2), mode=padding_mode)
        want = F.conv2d(tx, torch.from_numpy(w), torch.from_numpy(b), stride=(2, 1), dilation=(1, 2), groups=2)
    else:
        want = F.conv2d(tx, torch.from_numpy(w), torch.from_numpy(b), stride=(2, 1), padding=(2, 1),
                        dilation=(1, 2), groups=2)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-12 * 3 * 12)
    wt = rng.standard_normal((6, 2, 3, 2))
    got = nn.conv_transpose2d(x, wt, None, stride=2, padding=1, output_padding=(1, 0), groups=3, method=method)
    want = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(wt), None, stride=2, padding=1,
                              output_padding=(1, 0), groups=3)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-12 * 12)
    got = nn.max_pool3d(x[:, None], (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(2, 1, 1),
                        ceil_mode=True)
    want = F.max_pool3d(torch.from_numpy(x[:, None]), (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0),
                        dilation=(2, 1, 1), ceil_mode=True)
    np.testing.assert_array_equal(got, want.numpy())
