import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The fangkong server serves web/dist at "/", so assets use absolute base '/'.
export default defineConfig({
  base: '/',
  plugins: [vue()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          // the QR decoder is loaded only when the gate page opens the camera
          if (id.includes('node_modules/jsqr')) return 'jsqr'
          if (id.includes('node_modules/')) return 'vendor'
        },
      },
    },
  },
})
