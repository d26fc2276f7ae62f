using System.Buffers.Binary;
using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Imaging;

/// <summary>
/// Baseline JPEGs written coefficient by coefficient, for what ImageSharp 2.1's encoder does not write:
/// restart intervals, 4:4:0 and 4:1:1 sampling, 16-bit quantization tables, and damage placed exactly.
/// Each block's DC coefficient follows a smooth picture (plus seeded noise on luma); its AC coefficients are
/// random (runs of zeros, sixteen-zero runs, large magnitudes, blocks full to the last coefficient), so a
/// decoder must walk every symbol. The Huffman tables are the standard ones (ITU T.81, Annex K), taken from
/// a JPEG ImageSharp encodes.
/// </summary>
internal static class BaselineJpegWriter
{
    private static readonly Lazy<HuffmanCode[]> StandardTables = new(ReadStandardTables);

    /// <param name="sampling">Per component (1 = greyscale, 3 = YCbCr) its horizontal and vertical sampling factors.</param>
    /// <param name="restartInterval">MCUs between restart markers, 0 for none.</param>
    /// <param name="dcQuantization">The DC quantizer (the AC ones are 1 to 3).</param>
    /// <param name="wideQuantization">Writes the quantization table with 16-bit entries.</param>
    /// <param name="swapRestartMarkers">Writes RST1 where RST0 belongs and the other way round.</param>
    public static byte[] Write(int width, int height, (int H, int V)[] sampling, int restartInterval = 0, int seed = 1, int dcQuantization = 4,
        bool wideQuantization = false, bool swapRestartMarkers = false)
    {
        HuffmanCode[] tables = StandardTables.Value; // DC luma, AC luma, DC chroma, AC chroma.
        int maxH = sampling.Max(s => s.H), maxV = sampling.Max(s => s.V);
        bool interleaved = sampling.Length > 1;
        int mcusAcross = interleaved ? Ceiling(width, 8 * maxH) : Ceiling(width, 8);
        int mcusDown = interleaved ? Ceiling(height, 8 * maxV) : Ceiling(height, 8);
        var random = new Random(seed);

        var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        bool wide = wideQuantization || dcQuantization > 255;
        var quantization = new List<byte> { (byte)(wide ? 0x10 : 0x00) };
        for (int index = 0; index < 64; index++)
        {
            // AC quantizers of 1 to 3 that differ from neighbor to neighbor in zigzag order, so that a decoder
            // that dequantizes chroma's AC coefficients must map zigzag to natural order correctly.
            int value = index == 0 ? dcQuantization : 1 + (index % 3);
            if (wide)
            {
                quantization.Add((byte)(value >> 8));
            }

            quantization.Add((byte)value);
        }

        Segment(output, 0xDB, [.. quantization]);
        var frame = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)sampling.Length };
        for (int component = 0; component < sampling.Length; component++)
        {
            frame.AddRange([(byte)(component + 1), (byte)((sampling[component].H << 4) | sampling[component].V), 0]);
        }

        Segment(output, 0xC0, [.. frame]);
        Segment(output, 0xC4, [0x00, .. tables[0].Segment, 0x10, .. tables[1].Segment, 0x01, .. tables[2].Segment, 0x11, .. tables[3].Segment]);
        if (restartInterval > 0)
        {
            Segment(output, 0xDD, [(byte)(restartInterval >> 8), (byte)restartInterval]);
        }

        var scan = new List<byte> { (byte)sampling.Length };
        for (int component = 0; component < sampling.Length; component++)
        {
            scan.AddRange([(byte)(component + 1), (byte)(component == 0 ? 0x00 : 0x11)]);
        }

        Segment(output, 0xDA, [.. scan, 0, 63, 0]);

        var bits = new BitWriter(output);
        var predictors = new int[sampling.Length];
        int totalMcus = mcusAcross * mcusDown;
        for (int mcu = 0; mcu < totalMcus; mcu++)
        {
            if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
            {
                bits.PadWithOnes();
                int number = ((mcu / restartInterval) - 1) % 8;
                if (swapRestartMarkers && number < 2)
                {
                    number = 1 - number;
                }

                output.Write([0xFF, (byte)(0xD0 + number)]);
                Array.Clear(predictors);
            }

            int mcuX = mcu % mcusAcross, mcuY = mcu / mcusAcross;
            for (int component = 0; component < sampling.Length; component++)
            {
                (int h, int v) = interleaved ? sampling[component] : (1, 1);
                HuffmanCode dc = tables[component == 0 ? 0 : 2], ac = tables[component == 0 ? 1 : 3];
                for (int blockY = 0; blockY < v; blockY++)
                {
                    for (int blockX = 0; blockX < h; blockX++)
                    {
                        // The block's centre in picture coordinates (0..1), whatever the component's resolution.
                        double x = ((((mcuX * h) + blockX) * 8) + 4) * (interleaved ? (double)maxH / h : 1) / width;
                        double y = ((((mcuY * v) + blockY) * 8) + 4) * (interleaved ? (double)maxV / v : 1) / height;
                        double level = Picture(component, x, y) + (component == 0 ? random.Next(-20, 21) : 0);
                        int coefficient = (int)Math.Round((Math.Clamp(level, 0, 255) - 128) * 8 / dcQuantization);
                        WriteDc(bits, dc, coefficient - predictors[component]);
                        predictors[component] = coefficient;
                        WriteAc(bits, ac, random, chroma: component > 0);
                    }
                }
            }
        }

        bits.PadWithOnes();
        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>
    /// A smooth picture per component: luma a diagonal ramp with a bright disc, chroma gentle gradients (where
    /// chroma changes fast, interpolating it and libjpeg-turbo's block-wise scaling differ by more).
    /// </summary>
    private static double Picture(int component, double x, double y) => component switch
    {
        0 => 40 + (150 * (x + y) / 2) + ((Math.Pow(x - 0.6, 2) + Math.Pow(y - 0.4, 2)) < 0.04 ? 60 : 0),
        1 => 128 + (25 * Math.Sin(3 * x)) - (15 * y),
        _ => 128 + (20 * Math.Cos(2 * y)) - (15 * x),
    };

    private static void WriteDc(BitWriter bits, HuffmanCode code, int difference)
    {
        int magnitude = Magnitude(difference);
        code.Write(bits, magnitude);
        WriteValue(bits, difference, magnitude);
    }

    /// <summary>
    /// Random AC coefficients: a block is empty, sparse (long zero runs, some over 16), or full to coefficient
    /// 63 (no end-of-block). Chroma magnitudes stay below 64, so that libjpeg-turbo's 2 x 2 inverse DCT of
    /// 4:2:0 chroma stays within its sample range (it wraps values far outside, where a decoder would clamp).
    /// </summary>
    private static void WriteAc(BitWriter bits, HuffmanCode code, Random random, bool chroma)
    {
        int kind = random.Next(4);
        double density = kind switch { 0 => 0, 1 => 0.05, 2 => 0.3, _ => 1 };
        int run = 0;
        for (int index = 1; index < 64; index++)
        {
            if (random.NextDouble() >= density)
            {
                run++;
                continue;
            }

            int value = chroma ? random.Next(1, 64) : random.Next(3) switch { 0 => random.Next(1, 4), 1 => random.Next(1, 64), _ => random.Next(1, 1024) };
            value = random.Next(2) == 0 ? value : -value;
            for (; run >= 16; run -= 16)
            {
                code.Write(bits, 0xF0);
            }

            int magnitude = Magnitude(value);
            code.Write(bits, (run << 4) | magnitude);
            WriteValue(bits, value, magnitude);
            run = 0;
        }

        if (run > 0)
        {
            code.Write(bits, 0x00);
        }
    }

    private static void WriteValue(BitWriter bits, int value, int magnitude)
    {
        if (magnitude > 0)
        {
            bits.Write(value >= 0 ? value : value + (1 << magnitude) - 1, magnitude);
        }
    }

    private static int Magnitude(int value) => value == 0 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)Math.Abs(value));

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>Writes one marker segment: FF, the marker, the length (payload + 2, big-endian), the payload.</summary>
    internal static void Segment(Stream output, byte marker, byte[] payload)
    {
        output.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        output.Write(payload);
    }

    /// <summary>The four tables ImageSharp writes (they are T.81's Annex K tables), in DHT order.</summary>
    private static HuffmanCode[] ReadStandardTables()
    {
        using var template = new MemoryStream();
        using (var image = new Image<Rgb24>(16, 16))
        {
            image.SaveAsJpeg(template, new JpegEncoder { ColorType = JpegColorType.YCbCrRatio420 });
        }

        byte[] data = template.ToArray();
        var tables = new Dictionary<int, HuffmanCode>();
        for (int position = 2; data[position + 1] != 0xDA;)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(position + 2));
            if (data[position + 1] == 0xC4)
            {
                for (int offset = position + 4; offset < position + 2 + length;)
                {
                    int symbols = data.AsSpan(offset + 1, 16).ToArray().Sum(count => count);
                    tables[data[offset]] = new HuffmanCode(data.AsSpan(offset + 1, 16 + symbols).ToArray());
                    offset += 17 + symbols;
                }
            }

            position += 2 + length;
        }

        return [tables[0x00], tables[0x10], tables[0x01], tables[0x11]];
    }

    /// <summary>A Huffman table for writing: each symbol's canonical code.</summary>
    private sealed class HuffmanCode
    {
        private readonly Dictionary<int, (int Code, int Length)> _codes = [];

        public HuffmanCode(byte[] segment)
        {
            Segment = segment;
            int code = 0, symbol = 16;
            for (int length = 1; length <= 16; length++)
            {
                for (int count = 0; count < segment[length - 1]; count++)
                {
                    _codes[segment[symbol++]] = (code++, length);
                }

                code <<= 1;
            }
        }

        /// <summary>Counts and symbols, as a DHT segment holds them after the class/id byte.</summary>
        public byte[] Segment { get; }

        public void Write(BitWriter bits, int symbol)
        {
            (int code, int length) = _codes[symbol];
            bits.Write(code, length);
        }
    }

    /// <summary>Bits into bytes, most significant first, with FF stuffed as FF 00.</summary>
    private sealed class BitWriter(Stream output)
    {
        private int _buffer;
        private int _count;

        public void Write(int value, int length)
        {
            for (int bit = length - 1; bit >= 0; bit--)
            {
                _buffer = (_buffer << 1) | ((value >> bit) & 1);
                if (++_count == 8)
                {
                    Flush();
                }
            }
        }

        public void PadWithOnes()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Flush()
        {
            output.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                output.WriteByte(0x00);
            }

            _buffer = 0;
            _count = 0;
        }
    }
}
