using System.Security.Cryptography;
using System.Text;

namespace GridTsne.Engine.Service;

/// <summary>
/// The service's access key: 32 random bytes, generated on first start and kept in the state folder in a file
/// only the user can read (mode 600 on Unix; on Windows the file inherits the per-user ACL of the local
/// application data folder). Requests carry it as <c>Authorization: Key &lt;key&gt;</c>, as the seed's API did.
/// </summary>
public sealed class AccessKey
{
    public const string FileName = "access-key";
    private const string CookiePurpose = "GridTsne status page session";
    private readonly byte[] _key;
    private readonly byte[] _sessionToken;

    private AccessKey(string value)
    {
        Value = value;
        _key = Encoding.ASCII.GetBytes(value);
        // The browser's cookie holds a value derived from the key, not the key itself.
        _sessionToken = Encoding.ASCII.GetBytes(Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(CookiePurpose))));
    }

    /// <summary>The key, as clients send it.</summary>
    public string Value { get; }

    /// <summary>The status page's session cookie value.</summary>
    public string SessionToken => Encoding.ASCII.GetString(_sessionToken);

    /// <summary>Reads the key from <paramref name="stateDirectory"/>, or creates it there. Tightens a key file others could read.</summary>
    public static AccessKey LoadOrCreate(string stateDirectory, ServiceLog? log = null)
    {
        string path = Path.Combine(stateDirectory, FileName);
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows())
            {
                UnixFileMode mode = File.GetUnixFileMode(path);
                if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    log?.Warning($"The access key file '{path}' was readable by others (mode {Convert.ToString((int)mode, 8)}); it is now 600.");
                }
            }

            string existing = File.ReadAllText(path).Trim();
            if (IsWellFormed(existing))
            {
                return new AccessKey(existing);
            }

            log?.Warning($"The access key file '{path}' does not hold a key; a new key replaces it.");
        }

        string key = Base64Url(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(Encoding.ASCII.GetBytes(key));
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies to a new file only; an emptied old one keeps its mode unless set here.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        log?.Information($"Generated a new access key in '{path}'.");
        return new AccessKey(key);
    }

    /// <summary>True when an Authorization header value is "Key &lt;this key&gt;" (compared in constant time).</summary>
    public bool Accepts(string? authorization)
    {
        const string Scheme = "Key ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return FixedTimeEquals(authorization.AsSpan(Scheme.Length).Trim(), _key);
    }

    /// <summary>True when a cookie value is this key's session token.</summary>
    public bool AcceptsSession(string? token) => token is not null && FixedTimeEquals(token.AsSpan().Trim(), _sessionToken);

    private static bool FixedTimeEquals(ReadOnlySpan<char> given, byte[] expected)
    {
        if (given.Length != expected.Length || given.Length > 256)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[given.Length];
        for (int i = 0; i < given.Length; i++)
        {
            bytes[i] = given[i] < 128 ? (byte)given[i] : (byte)0;
        }

        return CryptographicOperations.FixedTimeEquals(bytes, expected);
    }

    private static bool IsWellFormed(string key) =>
        key.Length is >= 16 and <= 256 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
