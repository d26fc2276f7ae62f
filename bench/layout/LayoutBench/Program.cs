using System.Diagnostics;
using System.Globalization;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Layout;
using GridTsne.Engine.Quality;
using GridTsne.Engine.Tsne;

// Usage:
//   LayoutBench colors <seed> [key=value ...]        1024 uniformly random RGB colours in [0, 1]³ drawn from <seed>
//   LayoutBench file <vectors.csv> [key=value ...]  a CSV with columns Label and Vector (numbers joined by ';')
//   LayoutBench synthetic <count> <dims> [key=value ...]  Gaussian clusters, for time and memory only (no DPQ above 20,000)
// Keys: radius (initial radius in cells, 0 = auto), fraction, decay, swap, threads, seed, start=tsne|random,
// startfile=<path> (the t-SNE + JV start layout cached there: read if it exists, else computed and written),
// score=0|1, optimize=0|1 (0: only time Measure-GridQuality's engine on the start layout), exactitems and
// samplesize (GridLayoutOptions.ExactScoreItems and ScoreSampleSize: exactitems=1 samplesize=1024 scores
// exactly up to 1,024 items without the DPQ16-driven last stage, to time it).
// Each run: t-SNE (the Invoke-Tsne defaults, seed 42) + exact assignment, then the optimizer; prints one
// line of key=value pairs for Invoke-LayoutBenchmark.ps1 to read.
string mode = args[0];
var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
int firstSetting = mode switch { "synthetic" => 3, _ => 2 };
foreach (string pair in args.Skip(firstSetting))
{
    string[] parts = pair.Split('=', 2);
    settings[parts[0]] = parts[1];
}

double Setting(string key, double fallback) =>
    settings.TryGetValue(key, out string? value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

float[] vectors;
string[]? labels = null;
int count, dimensions;
switch (mode)
{
    case "colors":
        (vectors, count, dimensions) = RandomColors(int.Parse(args[1], CultureInfo.InvariantCulture), 1024);
        break;
    case "file":
        (vectors, labels, count, dimensions) = ReadCsv(args[1]);
        break;
    case "synthetic":
        (vectors, count, dimensions) = Clusters(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        break;
    default:
        throw new ArgumentException("mode must be colors, file or synthetic");
}

bool score = Setting("score", count <= GridLayoutQuality.MaxItems ? 1 : 0) != 0;
GridShape shape = GridShape.ForCount(count);
int[] start;
var tsneTime = Stopwatch.StartNew();
string? startFile = settings.GetValueOrDefault("startfile");
if (settings.GetValueOrDefault("start", "tsne") == "random")
{
    start = RandomPermutation(count, 7);
}
else if (startFile is not null && File.Exists(startFile))
{
    start = Array.ConvertAll(File.ReadAllLines(startFile), line => int.Parse(line, CultureInfo.InvariantCulture));
}
else
{
    TsneResult tsne = TsneRunner.Run(vectors, count, dimensions, new TsneOptions
    {
        Seed = (int)Setting("tsneseed", 42),
        Initialization = settings.GetValueOrDefault("init", "pca") == "random" ? TsneInitialization.Random : TsneInitialization.Pca,
    });
    var x = new double[count];
    var y = new double[count];
    for (int i = 0; i < count; i++)
    {
        x[i] = tsne.Embedding[2 * i];
        y[i] = tsne.Embedding[(2 * i) + 1];
    }

    start = [.. GridAssigner.Assign(x, y, shape).Cells];
    if (startFile is not null)
    {
        File.WriteAllLines(startFile, Array.ConvertAll(start, cell => cell.ToString(CultureInfo.InvariantCulture)));
    }
}

tsneTime.Stop();
var options = new GridLayoutOptions
{
    InitialRadius = Setting("radius", 0),
    AutoRadiusFraction = Setting("fraction", new GridLayoutOptions().AutoRadiusFraction),
    RadiusDecay = Setting("decay", new GridLayoutOptions().RadiusDecay),
    SwapSize = (int)Setting("swap", new GridLayoutOptions().SwapSize),
    MaxDegreeOfParallelism = (int)Setting("threads", Environment.ProcessorCount),
    Seed = (long)Setting("seed", 42),
    ExactScoreItems = (int)Setting("exactitems", new GridLayoutOptions().ExactScoreItems),
    ScoreSampleSize = (int)Setting("samplesize", new GridLayoutOptions().ScoreSampleSize),
};

using var process = Process.GetCurrentProcess();
if (Setting("optimize", 1) == 0)
{
    TimeSpan measureCpu = process.TotalProcessorTime;
    var measureTime = Stopwatch.StartNew();
    GridLayoutScores scores = Score(start);
    process.Refresh();
    Console.WriteLine(Invariant($"mode={mode} count={count} dims={dimensions} measure_s={measureTime.Elapsed.TotalSeconds:0.000} measure_cpu_s={(process.TotalProcessorTime - measureCpu).TotalSeconds:0.000} dpq16={scores.Dpq16:0.000000}"));
    return;
}

TimeSpan cpuBefore = process.TotalProcessorTime;
GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, shape, start, options);
process.Refresh();
TimeSpan cpu = process.TotalProcessorTime - cpuBefore;

var line = new List<string>
{
    $"mode={mode}", $"count={count}", $"dims={dimensions}", $"rows={shape.Rows}", $"columns={shape.Columns}",
    Invariant($"start_s={tsneTime.Elapsed.TotalSeconds:0.000}"),
    Invariant($"optimize_s={result.Elapsed.TotalSeconds:0.000}"), Invariant($"optimize_cpu_s={cpu.TotalSeconds:0.000}"),
    $"rounds={result.Rounds}", $"moves={result.Moves}", $"chosen={result.Chosen}{(result.RankSwapsKept ? "+Ranks" : "")}", $"scored={result.ScoredItems}",
};
if (score)
{
    GridLayoutScores before = Score(start);
    var scoreTime = Stopwatch.StartNew();
    GridLayoutScores after = Score(result.CellOfItem);
    line.Add(Invariant($"measure_s={scoreTime.Elapsed.TotalSeconds:0.000}"));
    line.Add(Invariant($"dpq16_before={before.Dpq16:0.0000}"));
    line.Add(Invariant($"dpq16_after={after.Dpq16:0.0000}"));
    if (labels is not null)
    {
        line.Add(Invariant($"agreement_before={before.LabelAgreement:0.0000}"));
        line.Add(Invariant($"agreement_after={after.LabelAgreement:0.0000}"));
    }
}

Console.WriteLine(string.Join(' ', line));

GridLayoutScores Score(int[] cells)
{
    int[] rows = Array.ConvertAll(cells, cell => cell / shape.Columns);
    int[] columns = Array.ConvertAll(cells, cell => cell % shape.Columns);
    return GridLayoutQuality.Measure(vectors, count, rows, columns, labels);
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

static (float[] Vectors, int Count, int Dimensions) RandomColors(int seed, int count)
{
    var random = new Random(seed);
    var colors = new float[count * 3];
    for (int i = 0; i < colors.Length; i++)
    {
        colors[i] = (float)random.NextDouble();
    }

    return (colors, count, 3);
}

static (float[] Vectors, int Count, int Dimensions) Clusters(int count, int dimensions)
{
    var random = new Random(1);
    const int clusters = 50;
    var centres = new float[clusters * dimensions];
    for (int i = 0; i < centres.Length; i++)
    {
        centres[i] = (float)(random.NextDouble() * 10);
    }

    var vectors = new float[(long)count * dimensions];
    for (int item = 0; item < count; item++)
    {
        int cluster = random.Next(clusters);
        for (int d = 0; d < dimensions; d++)
        {
            vectors[((long)item * dimensions) + d] = centres[(cluster * dimensions) + d] + (float)(random.NextDouble() - 0.5);
        }
    }

    return (vectors, count, dimensions);
}

static int[] RandomPermutation(int count, int seed)
{
    int[] cells = Enumerable.Range(0, count).ToArray();
    new Random(seed).Shuffle(cells);
    return cells;
}

static (float[] Vectors, string[] Labels, int Count, int Dimensions) ReadCsv(string path)
{
    var labels = new List<string>();
    var rows = new List<float[]>();
    foreach (string line in File.ReadLines(path).Skip(1))
    {
        // Label,"v1;v2;..." as Export-Csv writes it.
        int comma = line.IndexOf(',', StringComparison.Ordinal);
        labels.Add(line[..comma].Trim('"'));
        rows.Add(Array.ConvertAll(line[(comma + 1)..].Trim('"').Split(';'), value => float.Parse(value, CultureInfo.InvariantCulture)));
    }

    int dimensions = rows[0].Length;
    var vectors = new float[rows.Count * dimensions];
    for (int i = 0; i < rows.Count; i++)
    {
        rows[i].CopyTo(vectors, i * dimensions);
    }

    return (vectors, [.. labels], rows.Count, dimensions);
}
