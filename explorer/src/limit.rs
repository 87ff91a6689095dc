//! At most so many connections at once: each accepted connection holds a
//! permit until it closes, and the listener accepts no more while none is
//! free (the kernel's backlog holds them meanwhile). Without it, idle or
//! slow connections cost the server without bound.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};

pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, connections: usize) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(connections.max(1))),
        }
    }
}

/// A connection and the permit it holds while open.
pub struct LimitedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, address) = axum::serve::Listener::accept(&mut self.inner).await;
        (
            LimitedStream {
                stream,
                _permit: permit,
            },
            address,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, buffer)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    use std::{future::Future, task::Waker};

    use super::*;

    /// With every permit held, accepting waits (its first poll is pending,
    /// whatever the kernel has queued); a connection that closes lets the
    /// next one in.
    #[tokio::test]
    async fn a_connection_past_the_limit_waits_for_one_to_close() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut limited = LimitedListener::new(listener, 1);
        let _first_client = TcpStream::connect(address).await.unwrap();
        let (first, _) = axum::serve::Listener::accept(&mut limited).await;
        let _second_client = TcpStream::connect(address).await.unwrap();
        let mut second = Box::pin(axum::serve::Listener::accept(&mut limited));
        let mut context = Context::from_waker(Waker::noop());
        assert!(
            second.as_mut().poll(&mut context).is_pending(),
            "a second connection was accepted past the limit of one"
        );
        drop(first);
        let (_second, _) = second.await;
    }
}
