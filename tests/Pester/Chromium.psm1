<#
    Drives Debian's Chromium through chromedriver's W3C WebDriver HTTP API with Invoke-RestMethod: no npm,
    no Selenium, never a downloaded browser build. Missing binaries are an error, never a skipped test.
#>

function Find-ChromiumBinary {
    <# The browser and driver paths: GRIDTSNE_CHROMIUM / GRIDTSNE_CHROMEDRIVER, else Debian's, else PATH. #>
    param([Parameter(Mandatory)] [ValidateSet('chromium', 'chromedriver')] [string] $Name)
    $override = [Environment]::GetEnvironmentVariable("GRIDTSNE_$($Name.ToUpperInvariant())")
    if ($override) {
        if (-not (Test-Path -LiteralPath $override -PathType Leaf)) { throw "GRIDTSNE_$($Name.ToUpperInvariant()) names '$override', which does not exist." }
        return $override
    }
    if (Test-Path -LiteralPath "/usr/bin/$Name" -PathType Leaf) { return "/usr/bin/$Name" }
    $candidates = if ($Name -eq 'chromium') { 'chromium', 'chromium-browser', 'google-chrome', 'chrome' } else { 'chromedriver' }
    $found = Get-Command $candidates -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($found) { return $found.Source }
    throw "$Name was not found. On Debian: apt-get install -y chromium chromium-driver (.ci/run does this); elsewhere set GRIDTSNE_$($Name.ToUpperInvariant())."
}

function Start-ChromiumSession {
    <#
        Starts chromedriver on a free local port and opens a headless Chromium with a fresh profile.
        Returns the session object every other function takes; Stop-ChromiumSession ends both processes.
    #>
    param([int] $Width = 1000, [int] $Height = 700)
    $chromium = Find-ChromiumBinary chromium
    $driver = Find-ChromiumBinary chromedriver

    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()

    $profile = Join-Path ([System.IO.Path]::GetTempPath()) ("gridtsne-chromium-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $profile | Out-Null
    $log = Join-Path $profile 'chromedriver.log'
    $process = Start-Process -FilePath $driver -ArgumentList "--port=$port", "--log-path=$log" -PassThru `
        -RedirectStandardOutput (Join-Path $profile 'stdout.txt') -RedirectStandardError (Join-Path $profile 'stderr.txt')
    $session = [pscustomobject]@{ Process = $process; BaseUri = "http://127.0.0.1:$port"; Profile = $profile; Id = $null }

    try {
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ($true) {
            try {
                $status = Invoke-RestMethod -Uri "$($session.BaseUri)/status" -TimeoutSec 2
                if ($status.value.ready) { break }
            }
            catch { if ($process.HasExited) { throw "chromedriver exited at start with code $($process.ExitCode)." } }
            if ([DateTime]::UtcNow -gt $deadline) { throw "chromedriver did not answer on port $port within 20 s." }
            Start-Sleep -Milliseconds 100
        }

        $arguments = @('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-default-apps',
            '--disable-extensions', '--no-default-browser-check', '--disable-dev-shm-usage', '--mute-audio',
            "--window-size=$Width,$Height", "--user-data-dir=$(Join-Path $profile 'user-data')")
        $capabilities = @{ capabilities = @{ alwaysMatch = @{
                    browserName           = 'chrome'
                    'goog:chromeOptions'  = @{ binary = $chromium; args = $arguments }
                    unhandledPromptBehavior = 'ignore'
                    # Network events in the 'performance' log tell which URLs the page requested.
                    'goog:loggingPrefs'   = @{ browser = 'ALL'; performance = 'ALL' }
                    pageLoadStrategy      = 'normal'
                } } }
        $created = Invoke-WebDriver $session POST '/session' $capabilities
        $session.Id = $created.sessionId
        return $session
    }
    catch {
        Stop-ChromiumSession $session
        throw
    }
}

function Stop-ChromiumSession {
    param([Parameter(Mandatory)] $Session)
    if ($Session.Id) {
        try { Invoke-WebDriver $Session DELETE "/session/$($Session.Id)" | Out-Null } catch { Write-Verbose "Closing the session: $_" }
        $Session.Id = $null
    }
    if ($Session.Process -and -not $Session.Process.HasExited) {
        # Only the chromedriver this module started, by its id; it takes its browser with it on exit.
        Stop-Process -Id $Session.Process.Id -Force -ErrorAction SilentlyContinue
        $Session.Process.WaitForExit(5000) | Out-Null
    }
    Remove-Item -LiteralPath $Session.Profile -Recurse -Force -ErrorAction SilentlyContinue
}

function Invoke-WebDriver {
    <#
        One WebDriver command. Returns the response's 'value'. A WebDriver error becomes an exception whose
        message starts with the error code (e.g. 'no such alert: ...'), so tests can assert on it.
    #>
    param(
        [Parameter(Mandatory)] $Session,
        [Parameter(Mandatory)] [ValidateSet('GET', 'POST', 'DELETE')] [string] $Method,
        [Parameter(Mandatory)] [string] $Path,
        $Body
    )
    if ($Session.Id -and -not $Path.StartsWith('/session')) { $Path = "/session/$($Session.Id)$Path" }
    $request = @{ Uri = $Session.BaseUri + $Path; Method = $Method; TimeoutSec = 60; SkipHttpErrorCheck = $true; StatusCodeVariable = 'statusCode' }
    if ($Method -eq 'POST') {
        $request.ContentType = 'application/json; charset=utf-8'
        $request.Body = [System.Text.Encoding]::UTF8.GetBytes(((($null -eq $Body) ? @{} : $Body) | ConvertTo-Json -Depth 12 -Compress))
    }
    $response = Invoke-RestMethod @request
    if ($statusCode -ge 400 -or ($response.value -is [pscustomobject] -and $response.value.PSObject.Properties['error'])) {
        throw "$($response.value.error): $($response.value.message)"
    }
    return $response.value
}

function Invoke-BrowserScript {
    <# Runs synchronous JavaScript in the page ('return ...;') and returns its value. #>
    param([Parameter(Mandatory)] $Session, [Parameter(Mandatory)] [string] $Script, [object[]] $Arguments = @())
    Invoke-WebDriver $Session POST '/execute/sync' @{ script = $Script; args = $Arguments }
}

function Wait-BrowserCondition {
    <# Polls a JavaScript expression until it is truthy; fails with the last value after the timeout. #>
    param([Parameter(Mandatory)] $Session, [Parameter(Mandatory)] [string] $Expression, [int] $TimeoutSeconds = 20)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $value = Invoke-BrowserScript $Session "return ($Expression);"
        if ($value) { return $value }
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for: $Expression (last value: $value)" }
        Start-Sleep -Milliseconds 50
    }
}

function Open-BrowserPage {
    <# Navigates to a local file through a file:// URL. #>
    param([Parameter(Mandatory)] $Session, [Parameter(Mandatory)] [string] $LiteralPath)
    $uri = [System.Uri]::new((Resolve-Path -LiteralPath $LiteralPath).ProviderPath).AbsoluteUri
    Invoke-WebDriver $Session POST '/url' @{ url = $uri } | Out-Null
    return $uri
}

function Invoke-BrowserActions {
    <# Performs W3C input actions (one or more input sources), then releases every input. #>
    param([Parameter(Mandatory)] $Session, [Parameter(Mandatory)] [object[]] $Sources)
    Invoke-WebDriver $Session POST '/actions' @{ actions = $Sources } | Out-Null
    Invoke-WebDriver $Session DELETE '/actions' | Out-Null
}

function New-MouseSource {
    <# A mouse pointer input source for Invoke-BrowserActions, from a list of action hashtables. #>
    param([Parameter(Mandatory)] [object[]] $Actions)
    @{ type = 'pointer'; id = 'mouse'; parameters = @{ pointerType = 'mouse' }; actions = $Actions }
}

function New-WheelSource {
    <# A wheel input source scrolling once by DeltaY at a viewport point. #>
    param([int] $X, [int] $Y, [int] $DeltaY)
    @{ type = 'wheel'; id = 'wheel'; actions = @(@{ type = 'scroll'; x = $X; y = $Y; deltaX = 0; deltaY = $DeltaY; origin = 'viewport'; duration = 0 }) }
}

function Get-BrowserRequestedUrls {
    <# Every URL the browser requested since the last call (from the DevTools network events of the performance log). #>
    param([Parameter(Mandatory)] $Session)
    foreach ($entry in Invoke-WebDriver $Session POST '/log' @{ type = 'performance' }) {
        $event = ($entry.message | ConvertFrom-Json).message
        if ($event.method -eq 'Network.requestWillBeSent') { $event.params.request.url }
    }
}

function Get-BrowserScreenshot {
    <# A screenshot of the viewport as PNG bytes. #>
    param([Parameter(Mandatory)] $Session)
    [Convert]::FromBase64String((Invoke-WebDriver $Session GET '/screenshot'))
}

function Get-BrowserAlertText {
    <# The text of an open dialog; throws 'no such alert: ...' when there is none. #>
    param([Parameter(Mandatory)] $Session)
    Invoke-WebDriver $Session GET '/alert/text'
}

Export-ModuleMember -Function Find-ChromiumBinary, Start-ChromiumSession, Stop-ChromiumSession, Invoke-WebDriver, Invoke-BrowserScript,
    Wait-BrowserCondition, Open-BrowserPage, Invoke-BrowserActions, New-MouseSource, New-WheelSource, Get-BrowserRequestedUrls, Get-BrowserScreenshot, Get-BrowserAlertText
