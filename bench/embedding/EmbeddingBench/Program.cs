using System.Diagnostics;
using System.Globalization;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

// Usage: EmbeddingBench <inference|decode|pipeline|eighth|similarity> <models dir> <photo dir> [runs] [batch] [intra-op threads] [decoder threads] [model]
// A thread count of 0 takes the default; the model is a built-in name (the default model when omitted).
// Prints one line of key=value pairs per run, for Invoke-EmbeddingBenchmark.ps1 to read.
string mode = args[0];
string modelsDirectory = args[1];
string[] photos = [.. Directory.GetFiles(args[2]).Order(StringComparer.Ordinal)];
int runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
int batchSize = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : EmbeddingPipelineOptions.DefaultBatchSize;
int intraOpThreads = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 0;
int decoderThreads = args.Length > 6 && int.Parse(args[6], CultureInfo.InvariantCulture) is > 0 and int threads ? threads : Environment.ProcessorCount;
string model = args.Length > 7 ? args[7] : ModelCatalog.DefaultModelName;

EmbeddingModelSpec spec = ModelCatalog.Load(modelsDirectory).Get(model);
using ImageEmbedder embedder = ImageEmbedder.Open(spec, intraOpThreads);
using var process = Process.GetCurrentProcess();

switch (mode)
{
    case "inference":
        Inference();
        break;
    case "decode":
        Decode();
        break;
    case "pipeline":
        Pipeline();
        break;
    case "eighth":
        Eighth();
        break;
    case "similarity":
        Similarity();
        break;
    default:
        throw new ArgumentException("mode must be inference, decode, pipeline, eighth or similarity");
}

// The model alone, on tensors decoded beforehand: 10 batches' worth, cycled over the photo count.
void Inference()
{
    const int distinct = 160;
    int length = embedder.TensorLength;
    var tensors = new float[distinct * length];
    for (int index = 0; index < distinct; index++)
    {
        using Image<Rgb24> photo = SafeImageLoader.Load(photos[index % photos.Length]);
        embedder.Preprocessor.Write(photo, tensors.AsSpan(index * length, length));
    }

    var batch = new float[batchSize * length];
    void RunAll()
    {
        for (int start = 0; start < photos.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, photos.Length - start);
            for (int image = 0; image < count; image++)
            {
                int source = (start + image) % distinct;
                Array.Copy(tensors, source * length, batch, image * length, length);
            }

            embedder.Run(batch, count, CancellationToken.None);
        }
    }

    embedder.Run(batch, batchSize, CancellationToken.None); // Warm-up.
    for (int run = 0; run < runs; run++)
    {
        Measure("inference", photos.Length, RunAll);
    }
}

// What one decoder thread of the pipeline does per photo, without the model: read the file, decode it through
// the pipeline's own step (a JPEG at the smallest DCT scale covering the input size and the thumbnail), make
// the thumbnail and write the tensor.
void Decode()
{
    var options = new ImageDecodeOptions();
    var tensor = new float[embedder.TensorLength];
    void DecodeAll()
    {
        foreach (string path in photos)
        {
            byte[] content = SafeImageLoader.ReadAllBytes(path, options);
            using Image<Rgb24> upright = embedder.Preprocessor.Decode(path, content, forTensor: true, Thumbnail.DefaultShortSide, options,
                out Size fullSize, CancellationToken.None);
            _ = Thumbnail.Create(upright, Thumbnail.DefaultShortSide, fullSize);
            embedder.Preprocessor.Write(upright, tensor);
        }
    }

    DecodeAll(); // Warm-up (JIT, allocator pools).
    for (int run = 0; run < runs; run++)
    {
        Measure("decode", photos.Length, DecodeAll);
    }
}

// The JPEG decode alone at 1/8 scale, from bytes in memory: libjpeg-turbo (SkiaSharp) and the managed 1/8-scale
// decoder, alternating round by round on the same photos, one thread.
void Eighth()
{
    byte[][] contents = [.. photos.Select(path => SafeImageLoader.ReadAllBytes(path))];
    Configuration configuration = Configuration.Default;
    void Libjpeg()
    {
        foreach (byte[] content in contents)
        {
            using Image<Rgb24>? image = ScaledJpegDecoder.TryDecodeWithLibjpegTurbo("bench", content, new Size(1, 1), configuration, CancellationToken.None);
        }
    }

    void Managed()
    {
        foreach (byte[] content in contents)
        {
            using Image<Rgb24> image = EighthScaleJpegDecoder.TryDecode("bench", content, configuration, CancellationToken.None)
                ?? throw new InvalidOperationException("The managed decoder declined a photo of the set.");
        }
    }

    Libjpeg(); // Warm-up (JIT, allocator pools).
    Managed();
    for (int run = 0; run < runs; run++)
    {
        Measure("eighth-libjpeg-turbo", photos.Length, Libjpeg);
        Measure("eighth-managed", photos.Length, Managed);
    }
}

// The vectors of shrink-on-load decoding against those of a full ImageSharp decode of the same photos: cosine
// per photo, and the overlap of each photo's 10 nearest neighbours (by cosine) within the set.
void Similarity()
{
    float[][] Embed(ImageDecodeOptions options) =>
        [.. photos.Select(path =>
        {
            var tensor = new float[embedder.TensorLength];
            byte[] content = SafeImageLoader.ReadAllBytes(path, options);
            using Image<Rgb24> upright = embedder.Preprocessor.Decode(path, content, forTensor: true, Thumbnail.DefaultShortSide, options,
                out _, CancellationToken.None);
            embedder.Preprocessor.Write(upright, tensor);
            return embedder.Run(tensor, 1, CancellationToken.None)[0];
        })];

    static double Cosine(float[] a, float[] b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    static int[] Nearest(float[][] vectors, int index, int count) =>
        [.. Enumerable.Range(0, vectors.Length).Where(other => other != index)
            .OrderByDescending(other => Cosine(vectors[index], vectors[other])).Take(count)];

    float[][] scaled = Embed(new ImageDecodeOptions());
    float[][] full = Embed(new ImageDecodeOptions { ScaledJpegDecoding = false });
    double[] cosines = [.. Enumerable.Range(0, photos.Length).Select(index => Cosine(scaled[index], full[index])).Order()];
    int neighbours = Math.Min(10, photos.Length - 1);
    double overlap = Enumerable.Range(0, photos.Length)
        .Average(index => Nearest(scaled, index, neighbours).Intersect(Nearest(full, index, neighbours)).Count() / (double)neighbours);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mode=similarity images={photos.Length} medianCosine={cosines[cosines.Length / 2]:0.0000} minimumCosine={cosines[0]:0.0000} nearest{neighbours}Overlap={overlap:0.000} model={embedder.Name}"));
}

// The whole engine pipeline in one process, without PowerShell.
void Pipeline()
{
    for (int run = 0; run < runs; run++)
    {
        Measure("pipeline", photos.Length, () =>
        {
            using var pipeline = new EmbeddingPipeline(embedder, new EmbeddingPipelineOptions { BatchSize = batchSize, ThrottleLimit = decoderThreads }, CancellationToken.None);
            foreach (string path in photos)
            {
                while (!pipeline.TryAdd(path))
                {
                    pipeline.Take(out _);
                }
            }

            pipeline.Complete();
            while (pipeline.Take(out _))
            {
            }
        });
    }
}

void Measure(string name, int images, Action work)
{
    GC.Collect();
    process.Refresh();
    TimeSpan cpuBefore = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    work();
    clock.Stop();
    process.Refresh();
    double cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mode={name} images={images} seconds={clock.Elapsed.TotalSeconds:0.000} imagesPerSecond={images / clock.Elapsed.TotalSeconds:0.00} cpuMsPerImage={cpu / images:0.00} batch={batchSize} intraOpThreads={embedder.IntraOpThreads} model={embedder.Name} loadMs={embedder.LoadTime.TotalMilliseconds:0}"));
}
