using System.Globalization;
using GanDsl.Data;
using GanDsl.Formats;

namespace GanDsl.Runtime.Tests.Formats;

public class CsvMetricsWriterTests
{
    private static string ReadShared(string path)
    {
        // The writer keeps the file open; read it the way a tail -f or a crash survivor would.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public void WritesHeaderAndRowsInInvariantCultureFlushingEachRow()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.csv");
        CultureInfo saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE"); // decimal comma: must not leak into the file
        try
        {
            using var writer = new CsvMetricsWriter(path, ["step", "loss_d", "loss_g"]);
            Assert.Equal("step,loss_d,loss_g\n", ReadShared(path));
            writer.WriteRow(1, 0.5, -1.25);
            Assert.Equal("step,loss_d,loss_g\n1,0.5,-1.25\n", ReadShared(path)); // visible before dispose
            writer.WriteRow(new Dictionary<string, double> { ["step"] = 2, ["loss_g"] = 1e-7 });
            writer.WriteRow(3, double.PositiveInfinity, 0.1 + 0.2);
        }
        finally { CultureInfo.CurrentCulture = saved; }

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(["step,loss_d,loss_g", "1,0.5,-1.25", "2,NaN,1E-07", "3,Infinity,0.30000000000000004"], lines);
        // Round-trip precision: parsing gives back the exact doubles.
        Assert.Equal(0.1 + 0.2, double.Parse(lines[3].Split(',')[2], CultureInfo.InvariantCulture));
        Assert.Equal(1e-7, double.Parse(lines[2].Split(',')[2], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void RejectsWrongRowLengthsUnknownNamesAndBadColumns()
    {
        using var dir = new TempDirectory();
        using var writer = new CsvMetricsWriter(dir.File("m.csv"), ["step", "loss"]);
        Assert.Contains("2 columns", Assert.Throws<ArgumentException>(() => writer.WriteRow(1, 2, 3)).Message);
        Assert.Contains("'lr' is not a column", Assert.Throws<ArgumentException>(() => writer.WriteRow(new Dictionary<string, double> { ["lr"] = 1 })).Message);
        Assert.Throws<ArgumentException>(() => new CsvMetricsWriter(dir.File("n.csv"), ["a,b"]));
        Assert.Throws<ArgumentException>(() => new CsvMetricsWriter(dir.File("n.csv"), ["a", "a"]));
        Assert.Throws<ArgumentException>(() => new CsvMetricsWriter(dir.File("n.csv"), []));
    }

    [Fact]
    public void AppendContinuesAnExistingFileWithoutARepeatedHeader()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.csv");
        using (var w = new CsvMetricsWriter(path, ["step", "loss"])) w.WriteRow(1, 0.5);
        using (var w = new CsvMetricsWriter(path, ["step", "loss"], append: true)) w.WriteRow(2, 0.25);
        Assert.Equal(["step,loss", "1,0.5", "2,0.25"], File.ReadAllLines(path));

        // Without append the file starts over.
        using (var w = new CsvMetricsWriter(path, ["step", "loss"])) w.WriteRow(9, 9);
        Assert.Equal(["step,loss", "9,9"], File.ReadAllLines(path));
    }

    [Fact]
    public void AppendToAMissingFileWritesTheHeader()
    {
        using var dir = new TempDirectory();
        string path = dir.File("new.csv");
        using (var w = new CsvMetricsWriter(path, ["step"], append: true)) w.WriteRow(1);
        Assert.Equal(["step", "1"], File.ReadAllLines(path));
    }

    [Fact]
    public void AppendRefusesAFileWithOtherColumns()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.csv");
        using (var w = new CsvMetricsWriter(path, ["step", "loss"])) w.WriteRow(1, 0.5);
        var error = Assert.Throws<DataFileException>(() => new CsvMetricsWriter(path, ["step", "loss", "lr"], append: true));
        Assert.Contains("its columns are 'step,loss'", error.Message);
        Assert.Equal(["step,loss", "1,0.5"], File.ReadAllLines(path)); // untouched
    }

    [Fact]
    public void AppendDropsAPartialLastLineAndRowsAfterTheResumeStep()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.csv");
        File.WriteAllText(path, "step,loss\n1,0.5\n2,0.4\n3,0.3\n4,0.");
        using (var w = new CsvMetricsWriter(path, ["step", "loss"], append: true, keepRowsUpToFirstColumn: 2))
            w.WriteRow(3, 0.31);
        Assert.Equal(["step,loss", "1,0.5", "2,0.4", "3,0.31"], File.ReadAllLines(path));

        File.WriteAllText(path, "step,loss\n1,0.5\n2,0.");
        using (var w = new CsvMetricsWriter(path, ["step", "loss"], append: true))
            w.WriteRow(2, 0.4);
        Assert.Equal(["step,loss", "1,0.5", "2,0.4"], File.ReadAllLines(path));
    }
}
