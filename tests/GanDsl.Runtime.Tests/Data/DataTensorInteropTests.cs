using GanDsl.Data;
using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Imaging;
using GanDsl.Torch;

namespace GanDsl.Runtime.Tests.Data;

/// <summary>The Tensor bridges of the data and imaging layers (these need the native shim).</summary>
public class DataTensorInteropTests
{
    [Fact]
    public void Batch_ToTensorKeepsShapeAndValues()
    {
        Batch batch = GaussianMixture2D.Ring().CreateSampler(16, 3).Next();
        using Tensor t = batch.ToTensor();
        Assert.Equal(new long[] { 16, 2 }, t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(batch.Data, t.ToArray<float>());
    }

    [Fact]
    public void NpyFilesRoundTripThroughTensors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.npy");
        float[] values = Enumerable.Range(0, 24).Select(i => i * 0.5f - 3f).ToArray();
        using (Tensor t = GanDsl.Torch.Torch.FromArray(values, [2, 3, 4]))
            t.SaveNpy(path);
        using Tensor back = DataTensorExtensions.LoadNpyTensor(path);
        Assert.Equal(new long[] { 2, 3, 4 }, back.Shape);
        Assert.Equal(values, back.ToArray<float>());
    }

    [Fact]
    public void TensorPicturesDecode()
    {
        using var dir = new TempDirectory();
        using (Tensor images = GanDsl.Torch.Torch.FromArray(new float[4 * 5 * 5], [4, 1, 5, 5]))
            images.SaveImageGrid(dir.File("grid.png"));
        DecodedPng grid = DecodedPng.Decode(File.ReadAllBytes(dir.File("grid.png")));
        Assert.Equal((2 * 7 + 2, 2 * 7 + 2), (grid.Width, grid.Height));
        Assert.Equal(((byte)128, (byte)128, (byte)128), grid.Pixel(2, 2)); // value 0 → mid grey

        using Tensor real = GaussianMixture2D.Ring().CreateSampler(50, 1).NextTensor();
        using Tensor wrong = GanDsl.Torch.Torch.FromArray(new float[6], [2, 3]);
        ImagingTensorExtensions.SaveScatterPlot(dir.File("s.png"), real, real);
        Assert.Equal(512, DecodedPng.Decode(File.ReadAllBytes(dir.File("s.png"))).Width);
        Assert.Contains("N × 2", Assert.Throws<ArgumentException>(() => ImagingTensorExtensions.SaveScatterPlot(dir.File("x.png"), real, wrong)).Message);
    }
}
