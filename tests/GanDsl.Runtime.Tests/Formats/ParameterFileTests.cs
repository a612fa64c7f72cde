using GanDsl.Formats;
using GanDsl.Nn;
using GanDsl.Runtime.Tests.Nn;
using TorchSharp;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Formats;

/// <summary>
/// Parameter files: a round trip restores every parameter and buffer exactly; a truncated,
/// corrupted, foreign or mismatched file gives a clear TensorFileException and leaves the module
/// unchanged; a write that fails midway leaves the previous file loadable and no temporary file.
/// </summary>
public sealed class ParameterFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"gandsl-nn-{Guid.NewGuid():N}");

    public ParameterFileTests()
    {
        TorchTestSupport.UseTwoThreads();
        Directory.CreateDirectory(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(_folder, name);

    /// <summary>A small model with parameters and batch-norm buffers moved off their initial values.</summary>
    private static nn.Module<Tensor, Tensor> TrainedLookingModel()
    {
        var model = ReferenceModels.DcganSmallG();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var inputs = new Generator(8);
        model.forward(torch.randn([4, 8], generator: inputs));  // training mode: running statistics and the batch counter move
        return model;
    }

    [Fact]
    public void Round_trip_restores_every_parameter_and_buffer_exactly()
    {
        using var saved = TrainedLookingModel();
        var path = PathOf("g.params");
        ParameterFile.Save(saved, path);
        using var loaded = ReferenceModels.DcganSmallG();
        ParameterFile.Load(loaded, path);
        AssertSameState(Snapshot(saved), loaded);
        Assert.Contains(loaded.named_buffers(), b => b.name == "1.num_batches_tracked" && b.buffer.item<long>() == 1);
        Assert.All(loaded.parameters(), p => Assert.True(p.requires_grad && p.is_leaf));
    }

    [Fact]
    public void Float64_model_loads_a_float32_file()
    {
        using var saved = nn.Linear(3, 2);
        var path = PathOf("linear.params");
        ParameterFile.Save(saved, path);
        using var wide = nn.Linear(3, 2, dtype: ScalarType.Float64);
        ParameterFile.Load(wide, path);
        Assert.Equal(ScalarType.Float64, wide.weight!.dtype);
        Assert.Equal(Values(saved.weight!), Values(wide.weight!));
    }

    [Fact]
    public void Truncated_file_is_reported_and_the_module_is_unchanged()
    {
        using var saved = TrainedLookingModel();
        var path = PathOf("truncated.params");
        ParameterFile.Save(saved, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        using var target = ReferenceModels.DcganSmallG();
        var before = Snapshot(target);
        var e = Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, path));
        Assert.Contains("corrupt", e.Message);
        Assert.Contains(path, e.Message);
        AssertSameState(before, target);

        File.WriteAllBytes(path, bytes[..20]);
        Assert.Contains("truncated", Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, path)).Message);
        AssertSameState(before, target);
    }

    [Fact]
    public void Corrupted_byte_is_caught_by_the_checksum_and_the_module_is_unchanged()
    {
        using var saved = TrainedLookingModel();
        var path = PathOf("corrupt.params");
        ParameterFile.Save(saved, path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        using var target = ReferenceModels.DcganSmallG();
        var before = Snapshot(target);
        var e = Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, path));
        Assert.Contains("checksum", e.Message);
        AssertSameState(before, target);
    }

    [Fact]
    public void Foreign_file_and_other_version_are_named_as_such()
    {
        using var target = nn.Linear(2, 2);
        var before = Snapshot(target);
        var foreign = PathOf("foreign.bin");
        File.WriteAllText(foreign, "PK\u0003\u0004 this is a zip file, not parameters, with enough bytes to pass the length checks");
        Assert.Contains("not a GanDsl tensor file", Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, foreign)).Message);

        var path = PathOf("v2.params");
        ParameterFile.Save(target, path);
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 2;  // the version field
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, path));
        Assert.Contains("version 2", e.Message);
        AssertSameState(before, target);

        Assert.Contains("does not exist", Assert.Throws<TensorFileException>(() => ParameterFile.Load(target, PathOf("missing.params"))).Message);
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor_and_changes_nothing()
    {
        using var saved = ReferenceModels.MlpSmall();
        var path = PathOf("mlp.params");
        ParameterFile.Save(saved, path);
        using var wider = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1));
        var before = Snapshot(wider);
        var e = Assert.Throws<TensorFileException>(() => ParameterFile.Load(wider, path));
        Assert.Contains("'2.weight' has shape [16, 16] in the file but [32, 16] in the model", e.Message);
        Assert.Contains("Nothing was loaded", e.Message);
        AssertSameState(before, wider);
    }

    [Fact]
    public void Missing_and_extra_names_are_listed_and_change_nothing()
    {
        using var noBias = nn.Linear(3, 2, hasBias: false);
        var path = PathOf("nobias.params");
        ParameterFile.Save(noBias, path);
        using var withBias = nn.Linear(3, 2);
        var before = Snapshot(withBias);
        Assert.Contains("missing from the file: bias", Assert.Throws<TensorFileException>(() => ParameterFile.Load(withBias, path)).Message);
        AssertSameState(before, withBias);

        ParameterFile.Save(withBias, path);
        Assert.Contains("in the file but not in the model: bias", Assert.Throws<TensorFileException>(() => ParameterFile.Load(noBias, path)).Message);
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        using var first = TrainedLookingModel();
        var path = PathOf("model.params");
        ParameterFile.Save(first, path);
        var good = File.ReadAllBytes(path);

        using var second = ReferenceModels.DcganSmallG();
        TensorFile.WriteStreamDecoratorForTests = inner => new FailingStream(inner, failAfterBytes: good.Length / 3);
        try
        {
            var e = Assert.Throws<IOException>(() => ParameterFile.Save(second, path));
            Assert.Contains("simulated", e.Message);
        }
        finally
        {
            TensorFile.WriteStreamDecoratorForTests = null;
        }

        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.params" }, Directory.GetFiles(_folder).Select(System.IO.Path.GetFileName));
        using var reloaded = ReferenceModels.DcganSmallG();
        ParameterFile.Load(reloaded, path);
        AssertSameState(Snapshot(first), reloaded);

        // And a successful save replaces it.
        ParameterFile.Save(second, path);
        ParameterFile.Load(reloaded, path);
        AssertSameState(Snapshot(second), reloaded);
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Saving_into_a_missing_folder_says_so()
    {
        using var m = nn.Linear(1, 1);
        var e = Assert.Throws<DirectoryNotFoundException>(() => ParameterFile.Save(m, PathOf("no/such/folder/m.params")));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Records_with_scalars_round_trip_for_checkpoints()
    {
        using var m = nn.Linear(2, 1);
        var path = PathOf("checkpoint.bin");
        var records = ParameterFile.Records(m, "G.").Append(TensorRecord.Scalar("step", 1234L)).Append(TensorRecord.Scalar("k", 0.125)).ToList();
        TensorFile.Write(path, records);
        var read = TensorFile.Read(path);
        Assert.Equal(records.Select(r => r.Name), read.Select(r => r.Name));
        Assert.Equal(1234, read.Single(r => r.Name == "step").ScalarValue());
        Assert.Equal(0.125, read.Single(r => r.Name == "k").ScalarValue());
        using var other = nn.Linear(2, 1);
        ParameterFile.Apply(other, read, "G.", path);
        AssertSameState(Snapshot(m), other);
        Assert.Throws<ArgumentException>(() => TensorFile.Write(path, [TensorRecord.Scalar("x", 1.0), TensorRecord.Scalar("x", 2.0)]));
    }
}
