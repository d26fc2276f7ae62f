using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;

namespace GridTsne.Engine.Service;

/// <summary>
/// Routes and answers the service's requests. Everything needs <c>Authorization: Key &lt;key&gt;</c> except the
/// status page's static assets (which hold no data: the page asks the API with the key the user gives it).
/// GET requests may instead carry the status page's session cookie, so that a browser can open viewers.
/// The API answers CORS preflights, so web pages of any origin can call it with the key.
/// </summary>
internal sealed class ServiceHttpHandler(PhotoGridService service)
{
    public const string SessionCookie = "gridtsne_session";
    private const string ApiPrefix = "/v2/visualizations";
    private const string JsonContentType = "application/json; charset=utf-8";
    private static readonly TimeSpan DeleteWait = TimeSpan.FromSeconds(2);

    private static readonly Dictionary<string, (string Resource, string ContentType)> StatusPageAssets = new(StringComparer.Ordinal)
    {
        ["/"] = ("GridTsne.Service.index.html", "text/html; charset=utf-8"),
        ["/index.html"] = ("GridTsne.Service.index.html", "text/html; charset=utf-8"),
        ["/status.js"] = ("GridTsne.Service.status.js", "text/javascript; charset=utf-8"),
        ["/status.css"] = ("GridTsne.Service.status.css", "text/css; charset=utf-8"),
    };

    private static readonly ConcurrentDictionary<string, byte[]> Resources = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".jpg"] = "image/jpeg",
        [".png"] = "image/png",
        [".webp"] = "image/webp",
        [".json"] = JsonContentType,
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    public async Task Handle(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        try
        {
            response.Headers["X-Content-Type-Options"] = "nosniff";
            await Route(request, response).ConfigureAwait(false);
        }
        catch (ServiceRequestException ex)
        {
            TryWrite(response, ex.Status, ex.Code, ex.Message);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away mid-answer; nothing to tell it.
        }
        catch (Exception ex)
        {
            service.Log.Error($"{request.HttpMethod} {request.Url?.AbsolutePath} failed: {ex}");
            TryWrite(response, HttpStatusCode.InternalServerError, "INTERNAL_ERROR", "The service failed to answer; see its log.");
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already closed, or the connection is gone.
            }
        }
    }

    private async Task Route(HttpListenerRequest request, HttpListenerResponse response)
    {
        string path = request.Url!.AbsolutePath;
        string method = request.HttpMethod;
        if (StatusPageAssets.TryGetValue(path, out (string Resource, string ContentType) asset))
        {
            RequireMethod(method, "GET");
            response.Headers["Content-Security-Policy"] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
            response.Headers["Cache-Control"] = "no-cache";
            await WriteBytes(response, HttpStatusCode.OK, asset.ContentType, ReadResource(asset.Resource)).ConfigureAwait(false);
            return;
        }

        if (path.StartsWith("/v2/", StringComparison.Ordinal) && path != "/v2/session")
        {
            // Web pages of other origins may call the API: they must send the key themselves, since
            // cross-origin requests carry no cookie (the status page's session cookie is SameSite=Strict too).
            response.Headers["Access-Control-Allow-Origin"] = "*";
            response.Headers["Access-Control-Expose-Headers"] = "Location, Retry-After";
            if (method == "OPTIONS")
            {
                response.Headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE";
                response.Headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type";
                response.Headers["Access-Control-Max-Age"] = "600";
                response.StatusCode = (int)HttpStatusCode.NoContent;
                return;
            }
        }

        Authorize(request);
        response.Headers["Cache-Control"] = "no-store";
        if (path == "/v2/session")
        {
            RequireMethod(method, "POST");
            response.Headers.Add("Set-Cookie", $"{SessionCookie}={service.Key.SessionToken}; Path=/; HttpOnly; SameSite=Strict");
            response.StatusCode = (int)HttpStatusCode.NoContent;
            return;
        }

        if (path == ApiPrefix || path == ApiPrefix + "/")
        {
            switch (method)
            {
                case "GET":
                    await WriteJson(response, HttpStatusCode.OK, json =>
                    {
                        json.WriteStartArray("outputs");
                        foreach (VisualizationJob job in service.Jobs)
                        {
                            JobJson.Write(json, job, BaseUrl(request), withErrors: false);
                        }

                        json.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case "POST":
                    RequireHeaderKey(request);
                    byte[] body = await ReadBody(request).ConfigureAwait(false);
                    var parsed = VisualizationRequest.Parse(body, service.Roots, service.Catalog.Names, service.Options.MaxPhotos, service.Options.PathOutsideRootsErrorId);
                    (string id, byte[] accepted) = service.Submit(parsed, job => (job.Id, JobBytes(job, request)));
                    response.Headers["Location"] = ApiPrefix + "/" + id;
                    await WriteBytes(response, HttpStatusCode.Accepted, JsonContentType, accepted).ConfigureAwait(false);
                    return;
                default:
                    throw NotAllowed("GET, POST");
            }
        }

        if (!path.StartsWith(ApiPrefix + "/", StringComparison.Ordinal))
        {
            throw NotFound($"There is nothing at '{path}'. The API is at {ApiPrefix}.");
        }

        string[] parts = path[(ApiPrefix.Length + 1)..].Split('/');
        VisualizationJob found = (JobStore.IsId(parts[0]) ? service.FindJob(parts[0]) : null)
            ?? throw NotFound($"There is no visualization '{Uri.UnescapeDataString(parts[0])}'.");
        if (parts.Length == 1)
        {
            switch (method)
            {
                case "GET":
                    await WriteJob(response, HttpStatusCode.OK, found, request).ConfigureAwait(false);
                    return;
                case "DELETE":
                    RequireHeaderKey(request);
                    if (service.CancelOrDelete(found))
                    {
                        PhotoGridService.WaitUntilFinished(found, DeleteWait);
                        await WriteJob(response, HttpStatusCode.OK, found, request).ConfigureAwait(false);
                    }
                    else
                    {
                        response.StatusCode = (int)HttpStatusCode.NoContent;
                    }

                    return;
                default:
                    throw NotAllowed("GET, DELETE");
            }
        }

        if (parts[1] == JobStore.OutputFolderName && parts.Length > 2)
        {
            RequireMethod(method, "GET");
            await ServeOutput(response, found, parts.AsSpan(2).ToArray()).ConfigureAwait(false);
            return;
        }

        throw NotFound($"There is nothing at '{path}'.");
    }

    private void Authorize(HttpListenerRequest request)
    {
        if (service.Key.Accepts(request.Headers["Authorization"]))
        {
            return;
        }

        if (request.HttpMethod == "GET" && service.Key.AcceptsSession(SessionCookieOf(request)))
        {
            return;
        }

        throw new ServiceRequestException(HttpStatusCode.Unauthorized, "UNAUTHORIZED",
            "This request needs the header 'Authorization: Key <key>' with the service's access key (the Key property of Start-PhotoGridService's output).");
    }

    private static string? SessionCookieOf(HttpListenerRequest request)
    {
        try
        {
            return request.Cookies[SessionCookie]?.Value;
        }
        catch (CookieException)
        {
            return null; // A malformed Cookie header is no session.
        }
    }

    /// <summary>Changes are accepted with the header only, never with the cookie a browser sends by itself.</summary>
    private void RequireHeaderKey(HttpListenerRequest request)
    {
        if (!service.Key.Accepts(request.Headers["Authorization"]))
        {
            throw new ServiceRequestException(HttpStatusCode.Unauthorized, "UNAUTHORIZED", "Changes need the header 'Authorization: Key <key>'.");
        }
    }

    private async Task<byte[]> ReadBody(HttpListenerRequest request)
    {
        long limit = service.Options.MaxRequestBytes;
        if (request.ContentLength64 > limit)
        {
            throw TooLarge(limit);
        }

        using var body = new MemoryStream();
        var buffer = new byte[16384];
        Stream input = request.InputStream;
        int read;
        while ((read = await input.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    private async Task ServeOutput(HttpListenerResponse response, VisualizationJob job, string[] segments)
    {
        lock (job.Gate)
        {
            if (job.State != JobState.DONE)
            {
                // Outputs appear only once all of them are complete: nothing half-written is ever served.
                throw new ServiceRequestException(HttpStatusCode.NotFound, "NOT_READY", $"The visualization is {job.State}; its files are served once it is DONE.");
            }
        }

        string folder = service.Store.OutputFolderOf(job.Id);
        string file = folder;
        foreach (string raw in segments)
        {
            string segment = Uri.UnescapeDataString(raw);
            if (segment.Length == 0 || segment.StartsWith('.') || segment.IndexOfAny(['/', '\\', ':', '\0']) >= 0)
            {
                throw NotFound("There is no such file.");
            }

            file = Path.Join(file, segment);
        }

        if (!File.Exists(file) || !PhotoRoots.IsUnder(PhotoRoots.Resolve(file), PhotoRoots.Resolve(folder)))
        {
            throw NotFound("There is no such file.");
        }

        string type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
        response.Headers["Cache-Control"] = "private, max-age=3600";
        FileStream stream;
        try
        {
            stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 65536, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound("There is no such file."); // Deleted meanwhile.
        }

        await using (stream.ConfigureAwait(false))
        {
            response.StatusCode = (int)HttpStatusCode.OK;
            response.ContentType = type;
            response.ContentLength64 = stream.Length;
            await stream.CopyToAsync(response.OutputStream).ConfigureAwait(false);
        }
    }

    private static Task WriteJob(HttpListenerResponse response, HttpStatusCode status, VisualizationJob job, HttpListenerRequest request) =>
        WriteBytes(response, status, JsonContentType, JobBytes(job, request));

    /// <summary>{"output": job}, with every member.</summary>
    private static byte[] JobBytes(VisualizationJob job, HttpListenerRequest request) => JsonBytes(json =>
    {
        json.WritePropertyName("output");
        JobJson.Write(json, job, BaseUrl(request), withErrors: true);
    });

    private static Task WriteJson(HttpListenerResponse response, HttpStatusCode status, Action<Utf8JsonWriter> members) =>
        WriteBytes(response, status, JsonContentType, JsonBytes(members));

    private static byte[] JsonBytes(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static async Task WriteBytes(HttpListenerResponse response, HttpStatusCode status, string contentType, byte[] bytes)
    {
        response.StatusCode = (int)status;
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static void TryWrite(HttpListenerResponse response, HttpStatusCode status, string code, string message)
    {
        try
        {
            if (status == HttpStatusCode.Unauthorized)
            {
                response.Headers["WWW-Authenticate"] = "Key realm=\"GridTsne\"";
            }

            if ((int)status == 429)
            {
                response.Headers["Retry-After"] = "10";
            }

            byte[] bytes = JsonBytes(json =>
            {
                json.WriteStartObject("status");
                json.WriteString("code", code);
                json.WriteString("description", message);
                json.WriteEndObject();
            });
            response.StatusCode = (int)status;
            response.ContentType = JsonContentType;
            response.ContentLength64 = bytes.Length;
            response.OutputStream.Write(bytes);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Headers were already sent, or the client is gone.
        }
    }

    /// <summary>The URL base the client used, so every URL in an answer works from where it asked.</summary>
    private static string BaseUrl(HttpListenerRequest request) => request.Url!.GetLeftPart(UriPartial.Authority);

    private static byte[] ReadResource(string name) => Resources.GetOrAdd(name, LoadResource);

    private static byte[] LoadResource(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The resource '{name}' is missing from the engine assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static void RequireMethod(string method, string allowed)
    {
        if (method != allowed)
        {
            throw NotAllowed(allowed);
        }
    }

    private static ServiceRequestException NotAllowed(string allowed) =>
        new(HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED", $"Use {allowed} here.");

    private static ServiceRequestException NotFound(string message) => new(HttpStatusCode.NotFound, "NOT_FOUND", message);

    private static ServiceRequestException TooLarge(long limit) =>
        new(HttpStatusCode.RequestEntityTooLarge, "BODY_TOO_LARGE", string.Create(CultureInfo.InvariantCulture, $"The request body is larger than the service's limit of {limit:N0} bytes."));
}
