using System.Buffers.Binary;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// A walk over a JPEG's markers that reads no pixel data and runs in microseconds. Decoders are lenient where
/// GridTsne must not be: ImageSharp 2.1 and libjpeg-turbo both decode a truncated JPEG, or one whose scan data
/// is damaged, into a picture with grey or garbled parts and no error, which would give a silently wrong
/// embedding; and both work through every scan of a progressive JPEG however many there are (thousands of
/// tiny scans over a large frame are a known decoder denial of service). The walk refuses such files first.
/// </summary>
internal static class JpegStructure
{
    /// <summary>
    /// Most scans a JPEG may have. A progressive camera or web JPEG has about 10; the most any encoder
    /// needs (every coefficient band of 4 components, refined bit by bit) is in the low hundreds.
    /// libjpeg-turbo's own fuzzers stop at 500.
    /// </summary>
    public const int MaxScans = 500;

    private const byte MarkerPrefix = 0xFF;
    private const byte StartOfImage = 0xD8;
    private const byte EndOfImage = 0xD9;
    private const byte StartOfScan = 0xDA;
    private const byte Temporary = 0x01;
    private const byte FirstRestart = 0xD0;
    private const byte LastRestart = 0xD7;

    /// <summary>
    /// Null when the segments and entropy-coded scans run, unbroken and well-formed, up to an end-of-image
    /// marker (data after it, such as a camera's trailer, is allowed); otherwise why not, as a sentence part
    /// ("the JPEG data ..."). A marker inside an EXIF thumbnail does not count: the walk skips whole segments
    /// by their lengths. Inside and between scans only the markers that may follow a scan are accepted, and
    /// restart markers must count 0 to 7 in turn: damaged scan data almost always breaks one of these rules,
    /// since a random byte pair FF xx is rarely a marker that fits there.
    /// </summary>
    public static string? FindDamage(ReadOnlySpan<byte> data)
    {
        const string Truncated = "the JPEG data is truncated or damaged (it ends before its end-of-image marker).";
        if (data.Length < 4 || data[0] != MarkerPrefix || data[1] != StartOfImage)
        {
            return Truncated;
        }

        int scans = 0;
        int position = 2;
        while (position + 1 < data.Length)
        {
            if (data[position] != MarkerPrefix)
            {
                return Truncated;
            }

            byte marker = data[position + 1];
            if (marker == MarkerPrefix)
            {
                position++; // Fill byte before a marker.
                continue;
            }

            if (marker == EndOfImage)
            {
                return scans == 0 ? "the JPEG data has no image scan." : null;
            }

            if (scans > 0 && !MayFollowScan(marker))
            {
                return $"the JPEG scan data is damaged (marker 0x{marker:X2} after a scan, at byte {position:N0}).";
            }

            if (marker == Temporary || marker is >= FirstRestart and <= LastRestart)
            {
                position += 2; // Markers without a length.
                continue;
            }

            if (position + 4 > data.Length)
            {
                return Truncated;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            int segmentEnd = position + 2 + length;
            if (length < 2 || segmentEnd > data.Length)
            {
                return Truncated;
            }

            if (marker != StartOfScan)
            {
                position = segmentEnd;
                continue;
            }

            if (++scans > MaxScans)
            {
                return $"the JPEG has more than {MaxScans} scans (a decoder denial of service; real photos have a few dozen at most).";
            }

            position = SkipEntropyCodedData(data, segmentEnd, out bool restartsInOrder);
            if (position < 0)
            {
                return Truncated;
            }

            if (!restartsInOrder)
            {
                return $"the JPEG scan data is damaged (its restart markers are out of order before byte {position:N0}).";
            }
        }

        return Truncated;
    }

    /// <summary>Markers that may stand between the first scan and the end of the image (ITU T.81, B.2.4).</summary>
    private static bool MayFollowScan(byte marker) =>
        marker is StartOfScan or EndOfImage
            or 0xC4 // DHT: Huffman tables
            or 0xCC // DAC: arithmetic conditioning
            or 0xDB // DQT: quantisation tables
            or 0xDC // DNL: number of lines
            or 0xDD // DRI: restart interval
            or 0xFE // COM: comment
            or (>= 0xE0 and <= 0xEF) // APPn
            or (>= FirstRestart and <= LastRestart); // A stray restart marker between scans is tolerated, as decoders do.

    /// <summary>
    /// Scan data escapes every 0xFF as FF 00 and may hold restart markers RST0..RST7 in turn; the first other
    /// marker ends it. Returns that marker's position, or -1 when the data ends first.
    /// </summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int start, out bool restartsInOrder)
    {
        restartsInOrder = true;
        int expectedRestart = FirstRestart;
        int position = start;
        while (true)
        {
            int found = data[position..].IndexOf(MarkerPrefix);
            if (found < 0 || position + found + 1 >= data.Length)
            {
                return -1;
            }

            position += found;
            byte next = data[position + 1];
            if (next == 0x00)
            {
                position += 2;
            }
            else if (next is >= FirstRestart and <= LastRestart)
            {
                if (next != expectedRestart)
                {
                    restartsInOrder = false;
                    return position;
                }

                expectedRestart = expectedRestart == LastRestart ? FirstRestart : expectedRestart + 1;
                position += 2;
            }
            else if (next == MarkerPrefix)
            {
                position++;
            }
            else
            {
                return position;
            }
        }
    }
}
