using System.Buffers.Binary;

namespace GridTsne.Engine.Tests.Imaging;

/// <summary>
/// Progressive JPEGs written byte by byte, for what no encoder at hand writes: progressive scans, restart
/// intervals, thousands of scans, CMYK and YCCK. Every coefficient is zero, so every component of every
/// pixel is 128 (the level shift of ITU T.81): a greyscale or YCbCr file shows flat grey 128. The scans are
/// real, and a decoder must work through each of them.
/// </summary>
internal static class HandMadeJpeg
{
    private const int BlocksPerEndOfBandRun = 1 << 14; // The longest run one 0xE0 symbol codes with zero extra bits.

    /// <param name="acScans">Spectral-selection scans of coefficients 1-63 after the DC scan (1 for a normal file).</param>
    /// <param name="restartInterval">Blocks between restart markers in the DC scan (a multiple of 8), or 0 for none.</param>
    /// <param name="swapRestartMarkers">Writes the first two restart markers in the wrong order (RST1 before RST0).</param>
    /// <param name="components">1 (greyscale), 3 (YCbCr) or 4 (with <paramref name="adobeTransform"/>: CMYK or YCCK).</param>
    /// <param name="adobeTransform">The Adobe APP14 segment's transform, 0 for CMYK and 2 for YCCK; null writes none.</param>
    public static byte[] Progressive(int width, int height, int acScans, int restartInterval = 0, bool swapRestartMarkers = false,
        int components = 1, int? adobeTransform = null)
    {
        if (restartInterval % 8 != 0)
        {
            throw new ArgumentException("The restart interval must fill whole bytes.", nameof(restartInterval));
        }

        int blocks = ((width + 7) / 8) * ((height + 7) / 8);
        var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        if (adobeTransform is { } transform)
        {
            BaselineJpegWriter.Segment(output, 0xEE, [.. "Adobe"u8, 0, 100, 0, 0, 0, 0, (byte)transform]);
        }

        BaselineJpegWriter.Segment(output, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]); // One quantisation table, all ones.
        var frame = new byte[6];
        frame[0] = 8; // Sample precision.
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(3), (ushort)width);
        frame[5] = (byte)components;
        // Components 1..n, no subsampling, quantisation table 0. SOF2: progressive.
        BaselineJpegWriter.Segment(output, 0xC2, [.. frame, .. Enumerable.Range(1, components).SelectMany(id => new byte[] { (byte)id, 0x11, 0 })]);
        // Huffman tables of one 1-bit code each: DC "difference 0", AC "end-of-band run of 2^14 + 14 bits".
        BaselineJpegWriter.Segment(output, 0xC4, [0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
        BaselineJpegWriter.Segment(output, 0xC4, [0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xE0]);

        // Each component's scans on their own (non-interleaved, so one block is one unit).
        byte[] acData = ZeroBitsPaddedWithOnes(15 * ((blocks + BlocksPerEndOfBandRun - 1) / BlocksPerEndOfBandRun));
        for (byte component = 1; component <= components; component++)
        {
            BaselineJpegWriter.Segment(output, 0xDD, [(byte)(restartInterval >> 8), (byte)restartInterval]);
            BaselineJpegWriter.Segment(output, 0xDA, [1, component, 0x00, 0, 0, 0x00]); // DC scan: Ss = Se = 0.
            WriteDcScan(output, blocks, restartInterval, swapRestartMarkers);
            BaselineJpegWriter.Segment(output, 0xDD, [0, 0]); // No restarts in the AC scans.

            // Each AC scan: one zero-bit code plus 14 zero bits per run of 16,384 blocks.
            for (int scan = 0; scan < acScans; scan++)
            {
                BaselineJpegWriter.Segment(output, 0xDA, [1, component, 0x00, 1, 63, 0x00]);
                output.Write(acData);
            }
        }

        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    private static void WriteDcScan(Stream output, int blocks, int restartInterval, bool swapRestartMarkers)
    {
        if (restartInterval == 0)
        {
            output.Write(ZeroBitsPaddedWithOnes(blocks));
            return;
        }

        int intervals = (blocks + restartInterval - 1) / restartInterval;
        for (int interval = 0; interval < intervals; interval++)
        {
            if (interval > 0)
            {
                int number = (interval - 1) % 8;
                if (swapRestartMarkers && interval <= 2)
                {
                    number = 1 - number;
                }

                output.Write([0xFF, (byte)(0xD0 + number)]);
            }

            output.Write(ZeroBitsPaddedWithOnes(Math.Min(restartInterval, blocks - (interval * restartInterval))));
        }
    }

    private static byte[] ZeroBitsPaddedWithOnes(int bits)
    {
        var bytes = new byte[(bits + 7) / 8];
        if (bits % 8 != 0)
        {
            bytes[^1] = (byte)((1 << (8 - (bits % 8))) - 1);
        }

        return bytes;
    }
}
