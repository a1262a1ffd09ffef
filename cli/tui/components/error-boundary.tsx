import { Component, type ReactNode } from 'react';
import { ErrorScreen } from './error-screen.js';

export interface ErrorBoundaryProps {
  children?: ReactNode;
  /** Called when the user leaves the error screen. */
  onQuit: () => void;
}

/** The one boundary at the root: a render error shows the error screen instead of tearing the terminal down. */
export class ErrorBoundary extends Component<ErrorBoundaryProps, { error: Error | undefined }> {
  override state: { error: Error | undefined } = { error: undefined };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    if (this.state.error) return <ErrorScreen error={this.state.error} onQuit={this.props.onQuit} />;
    return this.props.children;
  }
}
