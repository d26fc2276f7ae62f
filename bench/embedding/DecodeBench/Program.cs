using System.Diagnostics;
using System.Globalization;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

// Usage: DecodeBench <scaled|full> <photo dir> [runs] [thumbnail size]
// What one decoder thread of Get-ImageEmbedding does per photo, without the model: read the file, decode it
// (scaled: at the smallest DCT scale covering 224 px and the thumbnail, as the pipeline does; full: ImageSharp
// at full size, as before), make the thumbnail and write the 224 x 224 tensor.
// Prints one line of key=value pairs per run, for Invoke-CameraBenchmark.ps1 to read.
string mode = args[0];
string[] photos = [.. Directory.GetFiles(args[1]).Order(StringComparer.Ordinal)];
int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
int thumbnailSize = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Thumbnail.DefaultShortSide;
var options = new ImageDecodeOptions { ScaledJpegDecoding = mode == "scaled" };
var preprocessor = new ImagePreprocessor(new ImagePreprocessing());
var tensor = new float[preprocessor.TensorLength];
using var process = Process.GetCurrentProcess();

void DecodeAll()
{
    foreach (string path in photos)
    {
        byte[] content = SafeImageLoader.ReadAllBytes(path, options);
        using Image<Rgb24> upright = preprocessor.Decode(path, content, forTensor: true, thumbnailSize, options, out Size fullSize, CancellationToken.None);
        _ = Thumbnail.Create(upright, thumbnailSize, fullSize);
        preprocessor.Write(upright, tensor);
    }
}

DecodeAll(); // Warm-up (JIT, allocator pools).
for (int run = 0; run < runs; run++)
{
    GC.Collect();
    process.Refresh();
    TimeSpan cpuBefore = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    DecodeAll();
    clock.Stop();
    process.Refresh();
    double cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mode={mode} images={photos.Length} seconds={clock.Elapsed.TotalSeconds:0.000} cpuMsPerImage={cpu / photos.Length:0.00}"));
}
